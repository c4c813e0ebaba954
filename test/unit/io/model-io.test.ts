import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, readModelArtifacts, saveModel } from '../../../src/io/model-io';
import { createModel } from '../../../src/models';
import { tmpDir } from '../../support/tmp';

describe('model folders', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('round-trips a model with identical outputs and metadata, without leaking tensors', async () => {
    const t = tmpDir();
    try {
      const { model } = createModel('tiny_cnn', { numClasses: 5, inputSize: 32, seed: 3 });
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 7);
      const before = tf.memory().numTensors;
      const dir = path.join(t.dir, 'best');
      await saveModel(model, dir, { metadata: { arch: 'tiny_cnn' }, extraFiles: { 'note.txt': 'hi' } });
      expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'note.txt', 'weights.bin']);
      const loaded = await loadModel(dir);
      const a = model.predict(x) as tf.Tensor;
      const b = loaded.predict(x) as tf.Tensor;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b]);
      expect(readModelArtifacts(dir).metadata).toEqual({ arch: 'tiny_cnn' });
      loaded.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();
    } finally {
      t.cleanup();
    }
  });

  it('refuses weights.bin with stray or missing bytes, naming the file, for any size mismatch (property)', async () => {
    const fc = (await import('fast-check')).default;
    const t = tmpDir();
    try {
      const { model } = createModel('tiny_cnn', { numClasses: 3, inputSize: 16, seed: 1 });
      const dir = path.join(t.dir, 'm');
      await saveModel(model, dir);
      model.dispose();
      const bin = path.join(dir, 'weights.bin');
      const good = fs.readFileSync(bin);
      fc.assert(
        fc.property(fc.integer({ min: -good.length, max: 4096 }).filter((d) => d !== 0), (delta) => {
          fs.writeFileSync(bin, delta > 0 ? Buffer.concat([good, Buffer.alloc(delta, 7)]) : good.subarray(0, good.length + delta));
          const what = delta > 0 ? 'followed by stray bytes' : 'truncated';
          expect(() => readModelArtifacts(dir)).toThrow(
            new RegExp(`^${bin.replace(/[/.]/g, '\\$&')}: ${good.length + delta} bytes, but the weightsManifest of .*model\\.json describes ${good.length} bytes \\(\\d+ tensors\\); expected exactly that many: the weights are ${what}$`),
          );
        }),
        { numRuns: 40 },
      );
      fs.writeFileSync(bin, good);
      expect(readModelArtifacts(dir).artifacts.weightData).toBeDefined();
    } finally {
      t.cleanup();
    }
  });

  it('replaces an existing folder whole and leaves no temporary folders', async () => {
    const t = tmpDir();
    try {
      const dir = path.join(t.dir, 'last');
      const m1 = createModel('tiny_cnn', { numClasses: 3, inputSize: 32, seed: 1 }).model;
      await saveModel(m1, dir, { extraFiles: { 'stale.txt': 'old' } });
      const m2 = createModel('tiny_cnn', { numClasses: 4, inputSize: 32, seed: 2 }).model;
      await saveModel(m2, dir);
      expect(fs.readdirSync(t.dir)).toEqual(['last']);
      expect(fs.existsSync(path.join(dir, 'stale.txt'))).toBe(false);
      const loaded = await loadModel(dir);
      expect(loaded.outputs[0]?.shape).toEqual([null, 4]);
      tf.dispose([m1, m2, loaded].map((m) => m.weights.map((w) => w.read())).flat());
    } finally {
      t.cleanup();
    }
  });

  it('a broken model folder is a one-line error naming the file', async () => {
    const t = tmpDir();
    try {
      await expect(loadModel(path.join(t.dir, 'nope'))).rejects.toThrow(/nope\/model\.json: model file not found/);
      fs.mkdirSync(path.join(t.dir, 'bad'));
      fs.writeFileSync(path.join(t.dir, 'bad', 'model.json'), '{"modelTopology": {}, "weightsManifest": [{"paths": ["w.bin"], "weights": []}]}');
      await expect(loadModel(path.join(t.dir, 'bad'))).rejects.toThrow(/w\.bin: weight file named in .* is missing/);
    } finally {
      t.cleanup();
    }
  });
});
