import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadPretrained, loadTimModel, readSafetensors, saveTimModel, type StateDict } from '../../../src/models';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { tmpDir } from '../../support/tmp';
import { ensureModelFixtures } from './fixtures';

/**
 * Parity with torchvision: the same random weights (non-trivial BatchNorm statistics and layer
 * scales), imported from each file format, give the same logits as torchvision on the same
 * input, within 1e-4 of the largest logit.
 */
jest.setTimeout(900_000);

let dir = '';
const io = new Map<string, StateDict>();

beforeAll(async () => {
  dir = ensureModelFixtures();
  // wasm forwards these models ~20x faster than the plain cpu backend; both compute in float32.
  await tf.setBackend(loadWasmForTraining() ? 'wasm' : 'cpu');
});

function fixture(arch: string): StateDict {
  let f = io.get(arch);
  if (!f) {
    f = readSafetensors(fs.readFileSync(path.join(dir, `${arch}_io.safetensors`)), `${arch}_io.safetensors`);
    io.set(arch, f);
  }
  return f;
}

function tensorOf(f: StateDict, name: string): tf.Tensor {
  const t = f.get(name);
  if (!t) throw new Error(`fixture lacks ${name}`);
  return tf.tensor(t.data, t.shape);
}

/** max |a - b| / max |b|. */
function relativeDiff(got: tf.Tensor, want: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]! / tf.max(tf.abs(want)).dataSync()[0]!);
}

const CASES: Array<[string, string]> = [
  ['resnet50', 'resnet50.pth'],
  ['resnet50', 'resnet50.safetensors'],
  ['resnet50', 'resnet50_timm.safetensors'],
  ['efficientnet_b0', 'efficientnet_b0.pth'],
  ['efficientnet_b0', 'efficientnet_b0.safetensors'],
  ['efficientnet_b0', 'efficientnet_b0_timm.safetensors'],
  ['convnext_tiny', 'convnext_tiny.pth'],
  ['convnext_tiny', 'convnext_tiny.safetensors'],
  ['convnext_tiny', 'convnext_tiny_timm.safetensors'],
  ['convnext_tiny', 'keras_convnext_tiny/model.json'],
];

describe('parity with torchvision', () => {
  it.each(CASES)('%s from %s gives torchvision’s logits', async (arch, file) => {
    const f = fixture(arch);
    const x = tensorOf(f, 'input');
    const want = tensorOf(f, 'logits');
    const before = tf.memory().numTensors;
    const tm = await loadPretrained(arch, path.join(dir, file), { inputSize: x.shape[1] });
    expect(tm.numClasses).toBe(1000);
    const got = tm.model.predict(x) as tf.Tensor;
    expect(got.shape).toEqual(want.shape);
    expect(relativeDiff(got, want)).toBeLessThan(1e-4);
    got.dispose();
    tm.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, want]);
  });

  it.each(['resnet50', 'efficientnet_b0', 'convnext_tiny'])('%s: a replaced head sees the same features as torchvision’s', async (arch) => {
    const f = fixture(arch);
    const x = tensorOf(f, 'input');
    const tm = await loadPretrained(arch, path.join(dir, `${arch}.safetensors`), { inputSize: x.shape[1], numClasses: 7 });
    expect(tm.numClasses).toBe(7);
    const head = tm.model.getLayer(tm.spec.headLayerNames[0]!);
    // torchvision's new nn.Linear, placed in Tim's fresh head: [out, in] -> [in, out].
    const w = tensorOf(f, 'head.weight');
    const b = tensorOf(f, 'head.bias');
    const kernel = tf.transpose(w);
    head.setWeights([kernel, b]);
    const want = tensorOf(f, 'logits_head');
    const got = tm.model.predict(x) as tf.Tensor;
    expect(got.shape).toEqual([2, 7]);
    expect(relativeDiff(got, want)).toBeLessThan(1e-4);
    tf.dispose([x, w, b, kernel, want, got]);
    tm.model.dispose();
  });

  it('convnext_tiny with imported weights survives save/load with identical outputs', async () => {
    const t = tmpDir();
    try {
      const f = fixture('convnext_tiny');
      const x = tensorOf(f, 'input');
      const tm = await loadPretrained('convnext_tiny', path.join(dir, 'convnext_tiny.pth'), { inputSize: x.shape[1] });
      await saveTimModel(tm, path.join(t.dir, 'm'));
      const loaded = await loadTimModel(path.join(t.dir, 'm'));
      const a = tm.model.predict(x) as tf.Tensor;
      const b = loaded.model.predict(x) as tf.Tensor;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([x, a, b]);
      tm.model.dispose();
      loaded.model.dispose();
    } finally {
      t.cleanup();
    }
  });
});
