import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { TimError } from '../../../src/core/errors';
import { encodeSafetensors, loadPretrained, readSafetensors, readTorchFile, readWeightFile, saveTimModel, unpickle, type StateDict } from '../../../src/models';
import { smallConvNeXt } from './small-archs';
import { tmpDir } from '../../support/tmp';
import { loadGolden } from '../../support/goldens/golden';

jest.setTimeout(120_000);

let dir = '';
beforeAll(async () => {
  dir = loadGolden('models-tiny').dir;
  await tf.setBackend('cpu');
});

const read = (name: string): Buffer => fs.readFileSync(path.join(dir, name));

function relativeDiff(got: tf.Tensor, want: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]! / tf.max(tf.abs(want)).dataSync()[0]!);
}

describe('pickle and torch.save readers', () => {
  it('reads a protocol-2 pickle into plain values', () => {
    const value = unpickle(read('plain.pkl'));
    const toPlain = (v: unknown): unknown =>
      v instanceof Map ? Object.fromEntries([...v].map(([k, x]) => [k, toPlain(x)])) : Array.isArray(v) ? v.map(toPlain) : v;
    expect(toPlain(value)).toEqual(JSON.parse(read('plain.json').toString()));
  });

  it('reads every dtype, shared storages, offsets and non-contiguous views as torch wrote them', () => {
    const sd = readTorchFile(read('dtypes.pth'), 'dtypes.pth');
    const want = JSON.parse(read('dtypes.json').toString()) as Record<string, { shape: number[]; values: number[] }>;
    expect([...sd.keys()].sort()).toEqual(Object.keys(want).sort());
    for (const [name, w] of Object.entries(want)) {
      const t = sd.get(name)!;
      expect(t.shape).toEqual(w.shape);
      const tol = name === 'bf16' ? 1e-2 : name === 'f16' ? 1e-3 : 1e-6;
      w.values.forEach((v, i) => expect(Math.abs(t.data[i]! - v)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
    }
  });

  it('unwraps a checkpoint dict and drops the module. prefix', () => {
    const direct = readTorchFile(read('tiny_cnn.pth'), 'tiny_cnn.pth');
    const wrapped = readTorchFile(read('tiny_cnn_checkpoint.pth'), 'tiny_cnn_checkpoint.pth');
    expect([...wrapped.keys()]).toEqual([...direct.keys()]);
    expect(Array.from(wrapped.get('stem.conv.weight')!.data)).toEqual(Array.from(direct.get('stem.conv.weight')!.data));
  });

  it('reads safetensors with the same tensors as the .pth', () => {
    const pth = readTorchFile(read('tiny_cnn.pth'), 'tiny_cnn.pth');
    const st = readSafetensors(read('tiny_cnn.safetensors'), 'tiny_cnn.safetensors');
    for (const [k, v] of pth) {
      if (k.endsWith('num_batches_tracked')) continue;
      expect(st.get(k)?.shape).toEqual(v.shape);
      expect(Array.from(st.get(k)!.data)).toEqual(Array.from(v.data));
    }
  });
});

describe('loadPretrained', () => {
  it.each(['tiny_cnn.pth', 'tiny_cnn.safetensors', 'tiny_cnn_checkpoint.pth'])('imports %s with PyTorch’s logits, without leaking tensors', async (file) => {
    const io = readSafetensors(read('tiny_cnn_io.safetensors'), 'io');
    const x = tf.tensor(io.get('input')!.data, io.get('input')!.shape);
    const want = tf.tensor(io.get('logits')!.data, io.get('logits')!.shape);
    const before = tf.memory().numTensors;
    const tm = await loadPretrained('tiny_cnn', path.join(dir, file), { inputSize: 32 });
    expect(tm.numClasses).toBe(5);
    const got = tm.model.predict(x) as tf.Tensor;
    expect(relativeDiff(got, want)).toBeLessThan(1e-4);
    got.dispose();
    tm.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, want]);
  });

  it('imports a Tim model folder (tfjs names and layouts) with identical outputs', async () => {
    const t = tmpDir();
    try {
      const model = smallConvNeXt.build({ numClasses: 4, inputSize: 32, seed: 8 });
      await saveTimModel({ spec: smallConvNeXt, model, numClasses: 4 }, t.dir);
      const tm = await loadPretrained(smallConvNeXt.name, t.dir, { inputSize: 32 });
      expect(tm.numClasses).toBe(4);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1);
        expect(Array.from((tm.model.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
      });
      tm.model.dispose();
      model.dispose();
    } finally {
      t.cleanup();
    }
  });

  it('replaces the file’s head when asked for another class count', async () => {
    const tm = await loadPretrained('tiny_cnn', path.join(dir, 'tiny_cnn.pth'), { inputSize: 32, numClasses: 3 });
    expect(tm.numClasses).toBe(3);
    expect(tm.model.outputs[0]?.shape).toEqual([null, 3]);
    tm.model.dispose();
  });
});

describe('bad weight files fail in one line naming the file or key', () => {
  let t: { dir: string; cleanup: () => void };
  beforeAll(() => {
    t = tmpDir();
  });
  afterAll(() => t.cleanup());

  function variant(name: string, edit: (sd: StateDict) => void): string {
    const sd = readSafetensors(read('tiny_cnn.safetensors'), 'tiny_cnn.safetensors');
    edit(sd);
    const file = path.join(t.dir, name);
    fs.writeFileSync(file, encodeSafetensors([...sd].map(([k, v]) => [k, { shape: v.shape, data: v.data }])));
    return file;
  }

  async function failure(arch: string, file: string): Promise<string> {
    try {
      const tm = await loadPretrained(arch, file, { inputSize: 32 });
      tm.model.dispose();
    } catch (e) {
      expect(e).toBeInstanceOf(TimError);
      const msg = (e as Error).message;
      expect(msg).not.toContain('\n');
      return msg;
    }
    throw new Error('expected a failure');
  }

  it('missing key', async () => {
    const file = variant('missing.safetensors', (sd) => sd.delete('features.2.bn.running_var'));
    expect(await failure('tiny_cnn', file)).toBe(`${file}: missing key 'features.2.bn.running_var' for tiny_cnn`);
  });

  it('unexpected key', async () => {
    const file = variant('extra.safetensors', (sd) => sd.set('features.9.conv.weight', { shape: [1], dtype: 'F32', data: new Float32Array(1), layout: 'torch' }));
    expect(await failure('tiny_cnn', file)).toBe(`${file}: unexpected key 'features.9.conv.weight' for tiny_cnn`);
  });

  it('mismatched shape', async () => {
    const file = variant('shape.safetensors', (sd) => {
      const w = sd.get('features.1.conv.weight')!;
      sd.set('features.1.conv.weight', { ...w, shape: [w.shape[0]!, w.shape[1]!, 1, 9] });
    });
    expect(await failure('tiny_cnn', file)).toMatch(/features\.1\.conv\.weight' has shape \[32, 24, 1, 9\], tiny_cnn expects \[32, 24, 3, 3\]/);
  });

  it('wrong architecture', async () => {
    const msg = await failure('resnet50', path.join(dir, 'tiny_cnn.pth'));
    expect(msg).toMatch(/tiny_cnn\.pth: not resnet50 weights; it looks like a tiny_cnn/);
  });

  it('a Keras application whose structure is not torchvision’s', async () => {
    const keras = path.join(t.dir, 'keras_resnet50');
    fs.mkdirSync(keras);
    const weights = [
      { name: 'conv1_conv/kernel', shape: [7, 7, 3, 64], dtype: 'float32' },
      { name: 'conv1_conv/bias', shape: [64], dtype: 'float32' },
    ];
    fs.writeFileSync(path.join(keras, 'group1-shard1of1.bin'), Buffer.alloc((7 * 7 * 3 * 64 + 64) * 4));
    fs.writeFileSync(
      path.join(keras, 'model.json'),
      JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Functional', config: { layers: [] } }, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }] }),
    );
    const msg = await failure('resnet50', keras);
    expect(msg.startsWith(`${keras}: not resnet50 weights; it looks like Keras's ResNet50 (ResNet v1: the stride sits on the first 1x1 convolution`)).toBe(true);
  });

  it('corrupt or truncated files', async () => {
    const pth = read('tiny_cnn.pth');
    const truncated = path.join(t.dir, 'truncated.pth');
    fs.writeFileSync(truncated, pth.subarray(0, Math.floor(pth.length / 2)));
    expect(await failure('tiny_cnn', truncated)).toMatch(/truncated\.pth: corrupt zip archive/);
    const st = read('tiny_cnn.safetensors');
    const shortSt = path.join(t.dir, 'short.safetensors');
    fs.writeFileSync(shortSt, st.subarray(0, st.length - 100));
    expect(await failure('tiny_cnn', shortSt)).toMatch(/short\.safetensors: .*(truncated|runs past)/);
    const garbage = path.join(t.dir, 'garbage.bin.weights');
    fs.writeFileSync(garbage, Buffer.from('hello, not weights'));
    expect(await failure('tiny_cnn', garbage)).toMatch(/garbage\.bin\.weights: not a weight file/);
    expect(await failure('tiny_cnn', path.join(dir, 'legacy.pth'))).toMatch(/legacy\.pth: legacy .* not supported/);
    expect(await failure('tiny_cnn', path.join(t.dir, 'absent.pth'))).toMatch(/absent\.pth: weight file not found/);
    expect(() => readWeightFile(path.join(t.dir, 'absent.pth'))).toThrow(TimError);
  });
});
