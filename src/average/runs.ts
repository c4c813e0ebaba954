import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { configToYaml } from '../config/load';
import { configSchema, type TimConfig } from '../config/schema';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { preprocessSpecOf } from '../data/preprocess';
import { readSplit, writeSplit } from '../data/split';
import type { SplitManifest } from '../data/types';
import { averageFile, type AverageRecord, checkNewRunTarget, historyFile, labelsFile, openRunFolder, recoverRunFolder, type RunFolder, stageRunFolder, type StagedRunFolder, summaryFile } from '../io/run-folder';
import { acquireRunLock } from '../io/run-lock';
import { loadTimModel, saveTimModel, type TimModel } from '../models';
import { readFolderWeights, WeightAverage, weightMismatch } from './weights';

/**
 * `tim average`: a uniform average of the best/ weights of several runs of one architecture,
 * classes and split (a "model soup" of, say, a seed sweep), written as a new run folder that
 * evaluates like any other. BatchNorm's running mean and variance are averaged with the other
 * weights, not recomputed from the data.
 */

export interface AverageOptions {
  runs: readonly string[];
  /** Keeps the K runs whose best/ checkpoint had the highest validation accuracy. */
  topK?: number;
  out: string;
  force?: boolean;
}

/** What `average.json` in the new run records. */
export type { AverageRecord } from '../io/run-folder';

interface Source {
  run: RunFolder;
  config: TimConfig;
  labels: string[];
  split: SplitManifest;
  bestEpoch: number | null;
  valAcc: number | null;
}

/** The validation accuracy training recorded for the epoch best/ holds; null where the run has no record of it. */
function bestValAcc(run: RunFolder): { bestEpoch: number | null; valAcc: number | null } {
  const bestEpoch = run.readIfPresent(summaryFile)?.best_epoch ?? null;
  const record = run.readLines(historyFile).find((h) => h.epoch === bestEpoch);
  return { bestEpoch, valAcc: record?.val_acc ?? null };
}

function openSource(dir: string): Source {
  const run = openRunFolder(dir);
  if (!run.has('best')) throw new TimError(`${dir}: no ${path.basename(run.file('best'))}/ model to average`);
  return { run, config: run.config(), labels: run.labels(), split: readSplit(run.file('split')), ...bestValAcc(run) };
}

const itemsKey = (items: SplitManifest['train']): string => JSON.stringify(items.map((it) => `${it.label}\t${it.path}`).sort());

/** Why `s` cannot be averaged with `first`, or undefined. */
function sourceMismatch(first: Source, s: Source): string | undefined {
  if (s.config.model.arch !== first.config.model.arch) return `its architecture is ${s.config.model.arch}, the first run's ${first.config.model.arch}`;
  if (JSON.stringify(s.labels) !== JSON.stringify(first.labels)) return `its classes (labels.json) differ from the first run's`;
  if (JSON.stringify(preprocessSpecOf(s.config)) !== JSON.stringify(preprocessSpecOf(first.config))) {
    return 'its preprocessing (data.image_size, data.resize or augment.normalize) differs from the first run\'s';
  }
  const a = first.split;
  const b = s.split;
  if (path.resolve(a.root) !== path.resolve(b.root) || itemsKey(a.train) !== itemsKey(b.train) || itemsKey(a.val) !== itemsKey(b.val)) {
    return `its split.json holds other training or validation images than the first run's (same data.root, data.split_seed and data.val_fraction give the same split)`;
  }
  return undefined;
}

/** The runs that go into the average: all, or the top K by best/ validation accuracy (ties keep the order given). */
function chosen(sources: readonly Source[], topK: number | undefined): Source[] {
  if (topK === undefined) return [...sources];
  if (!Number.isInteger(topK) || topK < 2 || topK > sources.length) throw new TimError(`--top-k: expected a whole number from 2 to the ${sources.length} runs given, got ${topK}`);
  const unranked = sources.find((s) => s.valAcc === null);
  if (unranked) throw new TimError(`${unranked.run.dir}: no validation accuracy for its best epoch in ${path.basename(unranked.run.file('history'))}; --top-k cannot rank it`);
  return sources
    .map((s, i) => ({ s, i }))
    .sort((x, y) => (y.s.valAcc as number) - (x.s.valAcc as number) || x.i - y.i)
    .slice(0, topK)
    .sort((x, y) => x.i - y.i)
    .map((x) => x.s);
}

/** The first averaged run's config under the new run's name (its folder's, where that is a valid name). */
function configFor(first: TimConfig, out: string): TimConfig {
  const name = path.basename(path.resolve(out));
  return configSchema.shape.name.safeParse(name).success ? { ...first, name } : first;
}

/** Averages the runs' best/ weights into a new run folder `out`; returns what average.json records. */
export async function averageRuns(opts: AverageOptions): Promise<AverageRecord> {
  if (opts.runs.length < 2) throw new TimError(`--runs: name at least two run folders to average, got ${opts.runs.length}`);
  checkNewRunTarget(opts.out, opts.force);
  const sources = opts.runs.map(openSource);
  const first = sources[0] as Source;
  for (const s of sources.slice(1)) {
    const why = sourceMismatch(first, s);
    if (why) throw new TimError(`${s.run.dir}: cannot be averaged with ${first.run.dir}: ${why}`);
  }
  const used = chosen(sources, opts.topK);
  const average = new WeightAverage();
  const firstWeights = readFolderWeights(used[0]?.run.file('best') as string);
  average.add(firstWeights);
  for (const s of used.slice(1)) {
    const weights = readFolderWeights(s.run.file('best'));
    const why = weightMismatch(firstWeights, weights);
    if (why) throw new TimError(`${s.run.file('best')}: cannot be averaged with ${used[0]?.run.file('best')}: ${why}`);
    average.add(weights);
  }
  const record: AverageRecord = {
    method: 'uniform',
    batch_norm_statistics: 'averaged',
    top_k: opts.topK ?? null,
    sources: sources.map((s) => ({ run: s.run.dir, best_epoch: s.bestEpoch, val_acc: s.valAcc, averaged: used.includes(s) })),
  };
  await writeAveragedRun(opts, used[0] as Source, average, record);
  log.info(`averaged ${used.length} checkpoints of ${first.config.model.arch} (BatchNorm statistics averaged) → ${opts.out}`);
  return record;
}

async function writeAveragedRun(opts: AverageOptions, base: Source, average: WeightAverage, record: AverageRecord): Promise<void> {
  recoverRunFolder(opts.out);
  const lock = acquireRunLock(opts.out);
  let staged: StagedRunFolder | undefined;
  let tm: TimModel | undefined;
  try {
    tm = await loadTimModel(base.run.file('best'));
    const mean = tf.tidy(() => Object.fromEntries(average.mean().map((w) => [w.name, tf.tensor(w.values, w.shape, 'float32')])));
    try {
      tm.model.loadWeights(mean, true);
    } finally {
      tf.dispose(Object.values(mean));
    }
    staged = stageRunFolder(opts.out, { force: opts.force });
    staged.writeText('config', configToYaml(configFor(base.config, opts.out)));
    staged.write(labelsFile, base.labels);
    writeSplit(staged.file('split'), base.split);
    staged.write(averageFile, record);
    await saveTimModel(tm, staged.file('best'));
    staged.promote();
  } catch (e) {
    staged?.discard();
    throw e;
  } finally {
    tm?.model.dispose();
    lock.release();
  }
}
