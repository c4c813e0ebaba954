import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readModelArtifacts } from '../../../src/io/model-io';
import { createRunFolder, historyFile, RunFolder } from '../../../src/io/run-folder';
import type { TrainConfig } from '../../../src/config/schema';
import type { TimModel } from '../../../src/models/types';
import { enableTraining } from '@tim/tfjs-training';
import { groupVariables } from '../../../src/models/groups';
import { trainedGroups } from '../../../src/train/groups';
import { fit, type FitOptions, type ValMetrics } from '../../../src/train/loop';
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

const SIZE = 16;
const CLASSES = 3;

function options(tm: TimModel, train: TrainConfig, run: RunFolder, extra: Partial<FitOptions> = {}, freeze = false): FitOptions {
  return {
    tm,
    train,
    groups: trainedGroups(groupVariables(tm, 'early'), { freezeBackbone: freeze, lrGroups: train.lr_groups }),
    freezeBackbone: freeze,
    trainSource: memorySource({ n: 16, classes: CLASSES, size: SIZE, batchSize: train.batch_size, seed: 5 }),
    valSource: memorySource({ n: 6, classes: CLASSES, size: SIZE, batchSize: 8, seed: 6, shuffle: false }),
    numClasses: CLASSES,
    microBatch: train.batch_size,
    run,
    progress: new Progress(false),
    ...extra,
  };
}

/** The weights of a saved model folder, by name. */
function savedWeights(dir: string): Map<string, Float32Array> {
  const { artifacts } = readModelArtifacts(dir);
  const map = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, artifacts.weightSpecs ?? []);
  const out = new Map(Object.entries(map).map(([name, t]) => [name, t.dataSync() as Float32Array]));
  tf.dispose(Object.values(map));
  return out;
}

/** History without the fields that measure the machine rather than the run. */
function comparable(h: HistoryRecord[]): unknown[] {
  return h.map(({ seconds: _s, images_per_sec: _i, rss_mb: _r, num_tensors: _n, ...rest }) => rest);
}

describe('baseline (frozen backbone)', () => {
  it('moves only the head and leaves BatchNorm statistics bit-identical', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const cfg = testConfig({ epochs: 1, lr_groups: { early: 1e-2, middle: 1e-2, head: 1e-2 } }, { freeze_backbone: true });
      const tm = tinyModel(CLASSES, SIZE);
      const before = weightValues(tm);
      await fit(options(tm, cfg.train, createRunFolder(dir), {}, true));
      const after = weightValues(tm);
      let checkedBn = 0;
      for (const [name, v] of before) {
        const isHead = tm.spec.groupOfLayer(name.split('/')[0] ?? '') === 'head';
        if (/moving_(mean|variance)/.test(name)) checkedBn++;
        expect({ name, same: sameArray(v, after.get(name)) }).toEqual({ name, same: !isHead });
      }
      expect(checkedBn).toBeGreaterThan(0);
      tm.model.dispose();
    } finally {
      cleanup();
    }
  });
});

describe('early stopping', () => {
  it('stops after `patience` epochs without improvement and keeps the best epoch in best/', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const cfg = testConfig({ epochs: 10, early_stopping: { monitor: 'val_acc', patience: 3 } });
      const tm = tinyModel(CLASSES, SIZE);
      const sequence = [0.5, 0.7, 0.6, 0.65, 0.7, 0.9, 0.95];
      const snapshots: Map<string, Float32Array>[] = [];
      const evaluate = (epoch: number): ValMetrics => {
        snapshots.push(weightValues(tm));
        return { val_acc: sequence[epoch - 1] as number, val_loss: 1 };
      };
      const run = createRunFolder(dir);
      const out = await fit(options(tm, cfg.train, run, { evaluate }));
      // best 0.7 at epoch 2; epochs 3, 4 and 5 do not beat it (0.7 is not better than 0.7).
      expect(out.stoppedEpoch).toBe(5);
      expect(out.stoppedEarly).toBe(true);
      expect(out.bestEpoch).toBe(2);
      expect(run.readLines(historyFile).map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5]);
      const best = readModelArtifacts(run.file('best')).artifacts;
      const saved = tf.io.decodeWeights(best.weightData as ArrayBuffer, best.weightSpecs ?? []);
      const atBest = snapshots[1] as Map<string, Float32Array>;
      const atLast = snapshots[4] as Map<string, Float32Array>;
      let differsFromLast = false;
      for (const [name, t] of Object.entries(saved)) {
        expect(sameArray(t.dataSync() as Float32Array, atBest.get(name))).toBe(true);
        if (!sameArray(t.dataSync() as Float32Array, atLast.get(name))) differsFromLast = true;
      }
      expect(differsFromLast).toBe(true);
      tf.dispose(Object.values(saved));
      tm.model.dispose();
    } finally {
      cleanup();
    }
  });

  it('reduces every group learning rate on a plateau of val_loss', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const cfg = testConfig({
        epochs: 4,
        batch_size: 16,
        lr_groups: { early: 1e-4, middle: 1e-3, head: 1e-2 },
        early_stopping: { monitor: 'val_acc', patience: 10 },
        reduce_lr_on_plateau: { monitor: 'val_loss', factor: 0.5, patience: 1 },
      });
      const tm = tinyModel(CLASSES, SIZE);
      const losses = [1.0, 1.1, 1.2, 1.3];
      const out = await fit(options(tm, cfg.train, createRunFolder(dir), { evaluate: (e) => ({ val_loss: losses[e - 1] as number, val_acc: 0.5 }) }));
      expect(out.history.map((h) => h.lr.head)).toEqual([1e-2, 1e-2, 1e-2, 5e-3]);
      expect(out.history[3]?.lr.early).toBeCloseTo(5e-5, 12);
      tm.model.dispose();
    } finally {
      cleanup();
    }
  });
});

describe('resume and determinism', () => {
  it.each([
    ['', {}],
    // Interrupted in the second of two head-only epochs.
    [' with weight decay, the moving average of the weights and head-only epochs', { weight_decay: 0.05, ema: { decay: 0.9, warmup: true }, freeze_epochs: 2 }],
  ])('an interrupted and resumed run%s ends with the same weights and history as an uninterrupted one', async (_, extra) => {
    const a = tmpDir();
    const b = tmpDir();
    try {
      const cfg = testConfig({ epochs: 3, lr_groups: { early: 1e-3, middle: 1e-3, head: 1e-2 }, early_stopping: { monitor: 'val_acc', patience: 10 }, ...extra });
      const tmA = tinyModel(CLASSES, SIZE);
      const runA = createRunFolder(a.dir);
      const outA = await fit(options(tmA, cfg.train, runA));

      // Interrupted after the first step of epoch 2 (polls: 2 steps, the end of epoch 1, then
      // this step), then resumed into a fresh model: same architecture and layer seeds (dropout),
      // initial weights, which the checkpoint must replace.
      const tmB = tinyModel(CLASSES, SIZE);
      const runB = createRunFolder(b.dir);
      let steps = 0;
      const first = await fit(options(tmB, cfg.train, runB, { shouldStop: () => ++steps === 4 }));
      expect(first.interrupted).toBe(true);
      expect(first.stoppedEpoch).toBe(1);
      expect(JSON.parse(fs.readFileSync(path.join(runB.file('last'), 'train_state.json'), 'utf8'))).toMatchObject({ epoch: 1, step_in_epoch: 1 });
      tmB.model.dispose();
      const tmC = tinyModel(CLASSES, SIZE);
      const outB = await fit(options(tmC, cfg.train, new RunFolder(b.dir), { resume: true }));
      expect(outB.interrupted).toBe(false);

      const wa = weightValues(tmA);
      const wc = weightValues(tmC);
      for (const [name, v] of wa) expect({ name, same: sameArray(v, wc.get(name)) }).toEqual({ name, same: true });
      // best/ holds the moving average when it is on: the same too.
      const bestA = savedWeights(runA.file('best'));
      const bestB = savedWeights(runB.file('best'));
      for (const [name, v] of bestA) expect({ name, same: sameArray(v, bestB.get(name)) }).toEqual({ name, same: true });
      expect(comparable(runB.readLines(historyFile))).toEqual(comparable(outA.history));
      // Same seed, same data: the history is reproducible (determinism).
      expect(outA.history).toHaveLength(3);
      // Finished, but stopped before summary.json was written: resuming trains nothing more.
      const again = await fit(options(tmC, cfg.train, new RunFolder(b.dir), { resume: true }));
      expect(comparable(again.history)).toEqual(comparable(outA.history));
      expect(again.stoppedEpoch).toBe(3);
      const wAgain = weightValues(tmC);
      for (const [name, v] of wa) expect({ name, same: sameArray(v, wAgain.get(name)) }).toEqual({ name, same: true });
      // With its summary.json, the run is complete: nothing to resume.
      fs.writeFileSync(runB.file('summary'), '{}\n');
      await expect(fit(options(tmC, cfg.train, new RunFolder(b.dir), { resume: true }))).rejects.toThrow(/has finished \(epoch 3\); nothing to resume/);
      tmA.model.dispose();
      tmC.model.dispose();
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});

describe('moving average of the weights (train.ema)', () => {
  it('validates and saves best/ with the averages; the model and last/ keep the trained weights', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const cfg = testConfig({ epochs: 2, ema: { decay: 0.5 }, early_stopping: { monitor: 'val_acc', patience: 10 } });
      const tm = tinyModel(CLASSES, SIZE);
      const seen: Map<string, Float32Array>[] = [];
      const evaluate = (epoch: number): ValMetrics => {
        seen.push(weightValues(tm));
        return { val_acc: epoch / 2, val_loss: 1 };
      };
      const run = createRunFolder(dir);
      await fit(options(tm, cfg.train, run, { evaluate }));
      const trained = weightValues(tm);
      const validated = seen[1] as Map<string, Float32Array>;
      const best = savedWeights(run.file('best'));
      const last = savedWeights(run.file('last'));
      let averaged = 0;
      for (const [name, v] of trained) {
        expect({ name, best: sameArray(best.get(name), validated.get(name)), last: sameArray(last.get(name), v) }).toEqual({ name, best: true, last: true });
        if (!sameArray(v, validated.get(name))) averaged++;
      }
      expect(averaged).toBeGreaterThan(0);
      expect(JSON.parse(fs.readFileSync(path.join(run.file('best'), 'epoch.json'), 'utf8'))).toMatchObject({ epoch: 2, ema: true });
      tm.model.dispose();
    } finally {
      cleanup();
    }
  });
});

describe('head first, then every group (train.freeze_epochs)', () => {
  it('trains the head alone with the backbone in inference mode, then every group', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const cfg = testConfig({ epochs: 2, freeze_epochs: 1, lr_groups: { early: 1e-2, middle: 1e-2, head: 1e-2 }, early_stopping: { monitor: 'val_acc', patience: 10 } });
      const tm = tinyModel(CLASSES, SIZE);
      const start = weightValues(tm);
      const seen: Map<string, Float32Array>[] = [];
      const out = await fit(options(tm, cfg.train, createRunFolder(dir), { evaluate: () => (seen.push(weightValues(tm)), { val_acc: 0.5, val_loss: 1 }) }));
      const end = weightValues(tm);
      const headOnly = seen[0] as Map<string, Float32Array>;
      let movingStatistics = 0;
      for (const [name, v] of start) {
        const isHead = tm.spec.groupOfLayer(name.split('/')[0] ?? '') === 'head';
        if (/moving_(mean|variance)/.test(name)) movingStatistics++;
        // The stem trains with the early group (model.stem: early).
        expect({ name, afterHeadOnly: sameArray(v, headOnly.get(name)), atEnd: sameArray(v, end.get(name)) }).toEqual({ name, afterHeadOnly: !isHead, atEnd: false });
      }
      expect(movingStatistics).toBeGreaterThan(0);
      expect(out.history.map((h) => h.lr)).toEqual([
        { early: 0, middle: 0, head: 1e-2 },
        { early: 1e-2, middle: 1e-2, head: 1e-2 },
      ]);
      expect(out.history[0]?.update_ratio).toMatchObject({ early: 0, middle: 0 });
      tm.model.dispose();
    } finally {
      cleanup();
    }
  });

  it('counts early stopping and the plateau schedule from the unfreeze; a head-only epoch may still be the best', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const cfg = testConfig({
        epochs: 8,
        batch_size: 16,
        freeze_epochs: 3,
        early_stopping: { monitor: 'val_acc', patience: 3 },
        reduce_lr_on_plateau: { monitor: 'val_loss', factor: 0.5, patience: 0 },
      });
      const tm = tinyModel(CLASSES, SIZE);
      const acc = [0.5, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3];
      const out = await fit(options(tm, cfg.train, createRunFolder(dir), { evaluate: (e) => ({ val_acc: acc[e - 1] as number, val_loss: 1 + e / 10 }) }));
      // Counted from epoch 1, patience 3 would stop at epoch 4 and the plateau halve the rate from epoch 3.
      expect(out.stoppedEpoch).toBe(6);
      expect(out.stoppedEarly).toBe(true);
      expect(out.bestEpoch).toBe(1);
      expect(out.history.map((h) => h.lr.head)).toEqual([1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 5e-4]);
      expect(out.history.map((h) => h.lr.middle)).toEqual([0, 0, 0, 1e-5, 1e-5, 5e-6]);
      tm.model.dispose();
    } finally {
      cleanup();
    }
  });
});

describe('memory', () => {
  it.each([
    ['', {}, 0],
    // The backbone's Adam moments are made at its first step, after the head-only epoch.
    [' with weight decay, the moving average and head-only epochs', { weight_decay: 0.05, ema: { decay: 0.9 }, freeze_epochs: 1 }, 1],
  ])('keeps the number of live tensors constant from epoch to epoch and frees what it made%s', async (_, extra, from) => {
    const { dir, cleanup } = tmpDir();
    try {
      const cfg = testConfig({ epochs: 3, early_stopping: { monitor: 'val_acc', patience: 10 }, reduce_lr_on_plateau: { monitor: 'val_loss', factor: 0.5, patience: 0 }, ...extra });
      const tm = tinyModel(CLASSES, SIZE);
      const before = tf.memory().numTensors;
      const out = await fit(options(tm, cfg.train, createRunFolder(dir), { microBatch: 3 }));
      const counts = out.history.slice(from).map((h) => h.num_tensors);
      expect(new Set(counts).size).toBe(1);
      expect(tf.memory().numTensors).toBe(before);
      tm.model.dispose();
    } finally {
      cleanup();
    }
  });
});

describe('divergence', () => {
  it('a NaN loss stops the run with a message, and last/ and best/ keep the last good epoch', async () => {
    const { dir, cleanup } = tmpDir();
    const before = tf.memory().numTensors;
    try {
      const cfg = testConfig({ epochs: 3, batch_size: 8, lr_groups: { early: 1e-3, middle: 1e-3, head: 1e-2 } });
      const tm = tinyModel(CLASSES, SIZE);
      const good = memorySource({ n: 16, classes: CLASSES, size: SIZE, batchSize: 8, seed: 5 });
      // Epoch 2's second batch is all NaN, as a zero normalisation std or a broken decode would make it.
      const poisoned = {
        ...good,
        async *batches(epoch: number) {
          let i = 0;
          for await (const b of good.batches(epoch)) {
            if (epoch === 2 && i++ === 1) {
              const nan = tf.fill<tf.Rank.R4>(b.x.shape, NaN);
              b.x.dispose();
              yield { ...b, x: nan };
            } else {
              yield b;
            }
          }
        },
      };
      const run = createRunFolder(dir);
      await expect(fit(options(tm, cfg.train, run, { trainSource: poisoned }))).rejects.toThrow(
        /^training diverged: the loss is NaN at epoch 2, step 2 \(learning rates early 0\.001, middle 0\.001, head 0\.01\); stopped, last\/ and best\/ keep epoch 1 and earlier/,
      );
      expect(run.readLines(historyFile).map((h) => h.epoch)).toEqual([1]);
      expect(JSON.parse(fs.readFileSync(path.join(run.file('last'), 'train_state.json'), 'utf8'))).toMatchObject({ epoch: 1, step_in_epoch: 0 });
      expect(JSON.parse(fs.readFileSync(path.join(run.file('best'), 'epoch.json'), 'utf8'))).toMatchObject({ epoch: 1 });
      tm.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      cleanup();
    }
  });
  it('a NaN in state that is not trained (BatchNorm moving variance) stops the save as a NaN weight does, naming the tensor', async () => {
    const { dir, cleanup } = tmpDir();
    const before = tf.memory().numTensors;
    try {
      const cfg = testConfig({ epochs: 3, batch_size: 8, lr_groups: { early: 1e-3, middle: 1e-3, head: 1e-2 } });
      const tm = tinyModel(CLASSES, SIZE);
      const movingVariance = tm.model.weights.find((w) => !w.trainable && /moving_variance/.test(w.originalName));
      if (!movingVariance) throw new Error('tiny_cnn has no BatchNorm moving variance');
      const good = memorySource({ n: 16, classes: CLASSES, size: SIZE, batchSize: 8, seed: 5 });
      // During epoch 2 the moving statistics become NaN; training uses batch statistics, so the loss stays finite.
      const poisoning = {
        ...good,
        async *batches(epoch: number) {
          for await (const b of good.batches(epoch)) {
            if (epoch === 2) tf.tidy(() => void movingVariance.write(tf.fill(movingVariance.read().shape, NaN)));
            yield b;
          }
        },
      };
      const run = createRunFolder(dir);
      await expect(fit(options(tm, cfg.train, run, { trainSource: poisoning }))).rejects.toThrow(
        new RegExp(`^training diverged: \\d+ value\\(s\\) the checkpoint would save are NaN or infinite after epoch 2, in ${movingVariance.originalName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(not trained: moving statistics\\).*last/ and best/ keep epoch 1 and earlier`),
      );
      expect(run.readLines(historyFile).map((h) => h.epoch)).toEqual([1]);
      expect(JSON.parse(fs.readFileSync(path.join(run.file('last'), 'train_state.json'), 'utf8'))).toMatchObject({ epoch: 1, step_in_epoch: 0 });
      tm.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      cleanup();
    }
  });
  it('a finite loss that climbs past a uniform guess is reported with the learning rates to lower', async () => {
    const { dir, cleanup } = tmpDir();
    const before = tf.memory().numTensors;
    const warnings: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      warnings.push(String(chunk));
      return true;
    });
    try {
      // Adam moves every weight by about the learning rate per step: 5 throws the logits far out.
      const cfg = testConfig({ epochs: 2, batch_size: 8, lr_groups: { early: 5, middle: 5, head: 5 } });
      const tm = tinyModel(CLASSES, SIZE);
      const run = createRunFolder(dir);
      await fit(options(tm, cfg.train, run));
      const losses = run.readLines(historyFile).map((h) => h.train_loss);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(warnings.join('')).toMatch(/warning: the training loss (of epoch 1 is|rose from) .*\(ln 3\): the learning rates \(early 5, middle 5, head 5\) may be too high; lower train\.lr_groups/);
      tm.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      write.mockRestore();
      cleanup();
    }
  });
});
