import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { toFloat16Bits, writeWebModel } from '../../../src/export/web/weights';
import { loadModel } from '../../../src/io/model-io';
import { getArchSpec } from '../../../src/models';
import { relativeError } from '../../support/relative-error';
import { tmpDir } from '../../support/tmp';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('web model weights', () => {
  it('float16 bits are IEEE half precision, rounded to nearest even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(2 ** -26)).toBe(0x0000);
    // 1 + 2^-11 lies halfway between 1 and the next half; ties go to the even one (1).
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
  });

  it.each([
    [undefined, 1e-6, 4],
    ['float16', 2e-3, 2],
    ['uint8', 5e-2, 1],
  ] as const)('%s weights load with stock tfjs and give nearly the float logits', async (quantize, tolerance, bytesPerWeight) => {
    const t = tmpDir();
    try {
      const model = getArchSpec('tiny_cnn').build({ numClasses: 4, seed: 1 });
      const before = tf.memory().numTensors;
      const files = await writeWebModel(model, t.dir, quantize, { arch: 'tiny_cnn' });
      expect(tf.memory().numTensors).toBe(before);
      const count = model.getWeights().reduce((n, w) => n + w.size, 0);
      expect(files.bytes).toBe(count * bytesPerWeight);
      expect(files.shards.every((s) => fs.existsSync(path.join(t.dir, s)))).toBe(true);
      const loaded = await loadModel(t.dir);
      const x = tf.randomNormal<tf.Rank.R4>([2, 40, 40, 3], 0, 1, 'float32', 3);
      const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
      const got = tf.tidy(() => (loaded.predict(x) as tf.Tensor).dataSync());
      expect(relativeError(got, want)).toBeLessThan(tolerance);
      x.dispose();
      loaded.dispose();
      model.dispose();
    } finally {
      t.cleanup();
    }
  });
});
