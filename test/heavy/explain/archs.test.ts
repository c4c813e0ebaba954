import * as tf from '@tensorflow/tfjs';
import { CamExplainer } from '../../../src/explain/cam';
import { camTargetCandidates, splitAtLayer } from '../../../src/explain/model-split';
import { archNames, createModel, getArchSpec } from '../../../src/models';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';

/** Every registered architecture can be explained at its default target layer, on wasm. */
const ARCHS = archNames();

beforeAll(async () => {
  expect(loadWasmForTraining()).toBe(true);
  await tf.setBackend('wasm');
  await tf.ready();
});

describe.each(ARCHS)('%s', (arch) => {
  it('splits at its CAM target layer, and the CAM has the input size without leaking', () => {
    const size = 64;
    const tm = createModel(arch, { numClasses: 5, inputSize: size, seed: 0 });
    try {
      const layer = getArchSpec(arch).camTargetLayer;
      expect(camTargetCandidates(tm.model)).toContain(layer);
      const split = splitAtLayer(tm.model, layer);
      tf.tidy(() => {
        const x = tf.randomNormal<tf.Rank.R4>([2, size, size, 3], 0, 1, 'float32', 1);
        const direct = tm.model.predict(x) as tf.Tensor;
        const viaSplit = split.head(split.features.predict(x) as tf.Tensor);
        const scale = tf.max(tf.abs(direct)).dataSync()[0] ?? 1;
        expect(tf.max(tf.abs(tf.sub(direct, viaSplit))).dataSync()[0]).toBeLessThan(1e-4 * Math.max(1, scale));
      });
      const cam = new CamExplainer(tm.model, layer);
      const x = tf.randomNormal<tf.Rank.R4>([1, size, size, 3], 0, 1, 'float32', 2);
      cam.compute(x, [undefined], 'gradcam').maps.dispose();
      for (const method of ['gradcam', 'gradcampp', 'hirescam', 'eigencam']) {
        const before = tf.memory().numTensors;
        const { maps, logits } = cam.compute(x, [3], method);
        expect(maps.shape).toEqual([1, size, size]);
        const v = maps.dataSync();
        expect(v.every((p) => p >= 0 && p <= 1 && Number.isFinite(p))).toBe(true);
        tf.dispose([maps, logits]);
        expect(tf.memory().numTensors).toBe(before);
      }
      x.dispose();
    } finally {
      tm.model.dispose();
    }
  }, 300_000);
});
