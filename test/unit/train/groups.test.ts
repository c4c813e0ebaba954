import * as tf from '@tensorflow/tfjs';
import { createRunFolder, historyFile, RunFolder } from '../../../src/io/run-folder';
import { enableTraining } from '@tim/tfjs-training';
import { groupVariables } from '../../../src/models/groups';
import { trainedGroups } from '../../../src/train/groups';
import { fit } from '../../../src/train/loop';
import { Progress } from '../../../src/train/progress';
import { type HistoryRecord } from '../../../src/train/types';
import { tmpDir } from '../../support/tmp';
import { memorySource, sameArray, testConfig, tinyModel, weightValues } from './helpers';

// Training runs: slow on a shared 2-core machine.
jest.setTimeout(180_000);

beforeAll(async () => {
  await tf.setBackend('cpu');
  enableTraining('cpu');
});

function groupOf(tmName: string, spec: ReturnType<typeof tinyModel>['spec']): string {
  return spec.groupOfLayer(tmName.split('/')[0] ?? '');
}

describe('per-group learning rates', () => {
  it('moves each group at its own rate, leaves LR-0 groups and the frozen stem bit-identical', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const cfg = testConfig({ epochs: 2, lr_groups: { early: 0, middle: 1e-4, head: 1e-2 } }, { stem: 'frozen' });
      const tm = tinyModel(3, 16);
      const before = weightValues(tm);
      const groups = trainedGroups(groupVariables(tm, 'frozen'), { freezeBackbone: false, lrGroups: cfg.train.lr_groups });
      expect(groups.early).toHaveLength(0);
      const run = createRunFolder(dir);
      const out = await fit({
        tm,
        train: cfg.train,
        groups,
        freezeBackbone: false,
        trainSource: memorySource({ n: 24, classes: 3, size: 16, batchSize: 8, seed: 1 }),
        valSource: memorySource({ n: 6, classes: 3, size: 16, batchSize: 8, seed: 2, shuffle: false }),
        numClasses: 3,
        microBatch: 8,
        run,
        progress: new Progress(false),
      });
      const after = weightValues(tm);
      const trainable = new Set(tm.model.trainableWeights.map((w) => w.originalName));
      for (const [name, v] of before) {
        const g = groupOf(name, tm.spec);
        if (!trainable.has(name)) continue; // BatchNorm moving statistics follow the data in training mode
        if (g === 'early' || g === 'stem') expect(sameArray(v, after.get(name))).toBe(true);
        else expect(sameArray(v, after.get(name))).toBe(false);
      }
      const last = out.history[out.history.length - 1] as HistoryRecord;
      expect(last.update_ratio.early).toBe(0);
      expect(last.update_ratio.middle).toBeGreaterThan(0);
      expect(last.update_ratio.head).toBeGreaterThan(last.update_ratio.middle * 5);
      expect(last.lr).toEqual({ early: 0, middle: 1e-4, head: 1e-2 });
      expect(new RunFolder(dir).readLines(historyFile)).toHaveLength(2);
      tm.model.dispose();
    } finally {
      cleanup();
    }
  });
});
