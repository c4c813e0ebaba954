import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { explainInference } from '../../../src/demo/inference';
import { tmpDir } from '../../support/tmp';
import { makeDataset, makeRun } from '../evaluate/run-fixture';

jest.setTimeout(60_000);

describe('demo inference', () => {
  it('serves the new model once its run folder is replaced', async () => {
    await tf.setBackend('cpu');
    const t = tmpDir();
    try {
      const split = await makeDataset(path.join(t.dir, 'data'), 1);
      const dir = path.join(t.dir, 'runs', 'r');
      await makeRun(dir, split, { resize: 'letterbox' });
      const png = await sharp({ create: { width: 20, height: 12, channels: 3, background: '#a05030' } }).png().toBuffer();
      const inference = explainInference();
      const first = await inference.explain(dir, png);
      expect(first.top.map((g) => g.label).sort()).toEqual([...split.classes].sort());

      // Replaced by another run with other classes, as `train --force` does.
      fs.rmSync(dir, { recursive: true });
      await makeRun(dir, { ...split, classes: ['Xenia', 'Yves', 'Zora'] }, { resize: 'letterbox', seed: 9 });
      const second = await inference.explain(dir, png);
      expect(second.top.map((g) => g.label).sort()).toEqual(['Xenia', 'Yves', 'Zora']);
    } finally {
      t.cleanup();
    }
  });
});
