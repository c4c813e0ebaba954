import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadTimModel, readSafetensors } from '../../../src/models';
import { tmpDir } from '../../support/tmp';
import { loadGolden } from '../../support/goldens/golden';

const BIN = path.resolve(__dirname, '../../../bin/tim.js');
const tim = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });

jest.setTimeout(120_000);

let dir = '';
beforeAll(async () => {
  dir = loadGolden('models-tiny').dir;
  await tf.setBackend('cpu');
});

describe('tim weights', () => {
  it('info lists the tensors of a .pth with their dtypes and shapes', () => {
    const r = tim('weights', 'info', path.join(dir, 'tiny_cnn.pth'), '--json');
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout) as { format: string; tensors: Array<{ name: string; dtype: string; shape: number[] }>; looksLike: string };
    expect(info.format).toBe('pytorch');
    expect(info.tensors).toContainEqual({ name: 'stem.conv.weight', dtype: 'F32', shape: [16, 3, 3, 3] });
    expect(info.tensors).toContainEqual({ name: 'stem.bn.num_batches_tracked', dtype: 'I64', shape: [] });
    expect(info.looksLike).toMatch(/tiny_cnn/);
  });

  it('import writes a model folder that loads with PyTorch’s logits', async () => {
    const t = tmpDir();
    try {
      const out = path.join(t.dir, 'imported');
      const r = tim('weights', 'import', '--arch', 'tiny_cnn', '--from', path.join(dir, 'tiny_cnn.pth'), '--out', out, '--image-size', '48');
      expect(r.stderr).not.toMatch(/^tim:/m);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ arch: 'tiny_cnn', numClasses: 5, imageSize: 48 });
      const saved = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: Array<{ class_name: string; config: { batch_input_shape?: unknown } }> } } };
      expect(saved.modelTopology.config.layers.find((l) => l.class_name === 'InputLayer')?.config.batch_input_shape).toEqual([null, 48, 48, 3]);
      // Declared at 48 px, the loaded model still runs at PyTorch's 32 px fixture size.
      const tm = await loadTimModel(out);
      const io = readSafetensors(fs.readFileSync(path.join(dir, 'tiny_cnn_io.safetensors')), 'io');
      const x = tf.tensor(io.get('input')!.data, io.get('input')!.shape);
      const got = tm.model.predict(x) as tf.Tensor;
      const want = io.get('logits')!.data;
      const diff = Math.max(...Array.from(got.dataSync()).map((v, i) => Math.abs(v - want[i]!)));
      expect(diff / Math.max(...Array.from(want).map(Math.abs))).toBeLessThan(1e-4);
      tf.dispose([x, got]);
      tm.model.dispose();
    } finally {
      t.cleanup();
    }
  });

  it('a wrong architecture is one line naming the file, with a non-zero exit', () => {
    const t = tmpDir();
    try {
      const file = path.join(dir, 'tiny_cnn.pth');
      const r = tim('weights', 'import', '--arch', 'efficientnet_b0', '--from', file, '--out', path.join(t.dir, 'x'));
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`tim: ${file}: not efficientnet_b0 weights; it looks like a tiny_cnn`);
      expect(fs.existsSync(path.join(t.dir, 'x'))).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});

describe('tim model summary', () => {
  it('prints the depth-1 blocks of ResNet-50 for 1×3×224×224, parameters adding up, and writes an SVG', () => {
    const t = tmpDir();
    try {
      const svg = path.join(t.dir, 'resnet50.svg');
      const r = tim('model', 'summary', 'resnet50', '--json', '--svg', svg);
      expect(r.status).toBe(0);
      const s = JSON.parse(r.stdout) as { rows: Array<{ block: string; outputShape: number[]; params: number }>; totalParams: number };
      expect(s.rows.map((row) => row.block)).toEqual(['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool', 'fc']);
      expect(s.rows.find((row) => row.block === 'layer4')?.outputShape).toEqual([1, 2048, 7, 7]);
      expect(s.rows.find((row) => row.block === 'maxpool')?.outputShape).toEqual([1, 64, 56, 56]);
      expect(s.rows.reduce((n, row) => n + row.params, 0)).toBe(s.totalParams);
      expect(s.totalParams).toBe(25_557_032);
      const text = fs.readFileSync(svg, 'utf8');
      expect(text.startsWith('<svg')).toBe(true);
      for (const row of s.rows) expect(text).toContain(`>${row.block}<`);
    } finally {
      t.cleanup();
    }
  });

  it('an unknown architecture lists the valid ones', () => {
    const r = tim('model', 'summary', 'alexnet');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown architecture 'alexnet'; expected one of: .*convnext_tiny.*resnet50/);
  });
});
