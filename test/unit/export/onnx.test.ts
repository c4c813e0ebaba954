import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { configToYaml, parseConfig } from '../../../src/config/load';
import { decodeOnnx, encodeOnnx } from '../../../src/export/onnx';
import { createModel, getArchSpec, loadTimModel, resnetSpec, saveTimModel, type ArchSpec } from '../../../src/models';
import { onnxLogits, type OnnxInput } from '../../support/onnx-runtime';
import { relativeError } from '../../support/relative-error';
import { tmpDir } from '../../support/tmp';
import { smallConvNeXt, smallEfficientNet } from '../models/small-archs';

jest.setTimeout(120_000);

const BIN = path.resolve(__dirname, '../../../bin/tim.js');
const smallResNet = resnetSpec('test_resnet_small', { layers: [1, 1, 1, 1], baseWidth: 8 });

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Gives BatchNorm statistics and layer scales values far from their initial ones. */
function perturb(model: tf.LayersModel, seed: number): void {
  model.setWeights(model.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.randomUniform(w.shape, 0, 0.5, 'float32', seed + i)))));
}

async function inputOf(x: tf.Tensor4D): Promise<OnnxInput> {
  return { data: Float32Array.from(await x.data()), shape: x.shape };
}

describe('ONNX export', () => {
  it.each([getArchSpec('tiny_cnn'), smallResNet, smallEfficientNet, smallConvNeXt].map((s) => [s.name, s] as [string, ArchSpec]))(
    '%s gives Tim’s logits in onnxruntime at two input sizes',
    async (_name, spec) => {
      const model = spec.build({ numClasses: 6, seed: 5 });
      perturb(model, 11);
      const before = tf.memory().numTensors;
      const bytes = await encodeOnnx(model, spec.name);
      expect(tf.memory().numTensors).toBe(before);
      const xs = [64, 96].map((size) => tf.randomNormal<tf.Rank.R4>([2, size, size, 3], 0, 1, 'float32', size));
      const got = await onnxLogits(bytes, await Promise.all(xs.map(inputOf)));
      xs.forEach((x, i) => {
        const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
        expect(got[i]).toHaveLength(12);
        expect(relativeError(got[i] as Float32Array, want)).toBeLessThan(1e-4);
      });
      tf.dispose(xs);
      model.dispose();
    },
  );

  it('the graph is opset 17 with a size-free NHWC input', async () => {
    const model = getArchSpec('tiny_cnn').build({ numClasses: 3 });
    const decoded = decodeOnnx(await encodeOnnx(model, 'tiny', { metadata: { labels: '["a","b","c"]' } })) as {
      opsetImport: Array<{ version: number }>;
      graph: { input: Array<{ name: string; type: { tensorType: { shape: { dim: Array<{ dimParam?: string; dimValue?: number }> } } } }> };
      metadataProps: Array<{ key: string; value: string }>;
    };
    expect(decoded.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(decoded.graph.input[0]?.type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimParam: 'height' }, { dimParam: 'width' }, { dimValue: 3 }]);
    expect(decoded.metadataProps).toEqual([{ key: 'labels', value: '["a","b","c"]' }]);
    model.dispose();
  });

  it('tim export --format onnx writes the run’s best model with its labels and preprocessing', async () => {
    const t = tmpDir();
    try {
      const runDir = path.join(t.dir, 'run');
      const labels = ['Claude_Monet', 'Paul_Gauguin', 'Vincent_van_Gogh'];
      const tm = createModel('tiny_cnn', { numClasses: 3, seed: 9 });
      perturb(tm.model, 3);
      fs.mkdirSync(runDir, { recursive: true });
      const config = parseConfig({ name: 'tiny', data: { root: t.dir, image_size: 48, resize: 'letterbox' }, model: { arch: 'tiny_cnn' } });
      fs.writeFileSync(path.join(runDir, 'config.yaml'), configToYaml(config));
      fs.writeFileSync(path.join(runDir, 'labels.json'), JSON.stringify(labels));
      await saveTimModel(tm, path.join(runDir, 'best'));
      tm.model.dispose();
      // The run's calibration travels with the model: consumers apply softmax(logits / T).
      fs.writeFileSync(path.join(runDir, 'calibration.json'), JSON.stringify({ temperature: 1.7, unknown: { score: 'calibrated_top_probability', threshold: 0.4, keep: 0.95 }, fitted_on: { split: 'val', images: 6 }, written_at: '2026-12-06T00:00:00.000Z' }));
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [BIN, 'export', '--run', runDir, '--format', 'onnx', '--quiet'], { env: { ...process.env, CI: '1' } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const file = path.join(runDir, 'export', 'model.onnx');
      expect(JSON.parse(r.stdout)).toMatchObject({ format: 'onnx', out: file, arch: 'tiny_cnn', classes: 3 });
      const bytes = fs.readFileSync(file);
      const meta = Object.fromEntries((decodeOnnx(bytes) as { metadataProps: Array<{ key: string; value: string }> }).metadataProps.map((p) => [p.key, p.value]));
      expect(JSON.parse(meta.labels ?? '')).toEqual(labels);
      expect(JSON.parse(meta.calibration ?? '')).toEqual({ temperature: 1.7, unknown_threshold: 0.4, score: 'calibrated_top_probability' });
      expect(JSON.parse(meta.preprocessing ?? '')).toMatchObject({ image_size: 48, resize: 'letterbox', mean: [0.485, 0.456, 0.406], layout: 'NHWC' });
      const best = await loadTimModel(path.join(runDir, 'best'));
      const x = tf.randomNormal<tf.Rank.R4>([1, 48, 48, 3], 0, 1, 'float32', 2);
      const want = tf.tidy(() => (best.model.predict(x) as tf.Tensor).dataSync());
      const [got] = await onnxLogits(file, [await inputOf(x)]);
      expect(relativeError(got as Float32Array, want)).toBeLessThan(1e-4);
      x.dispose();
      best.model.dispose();
    } finally {
      t.cleanup();
    }
  });
});
