import * as fs from 'fs';
import * as path from 'path';
import type { BackendChoice, TimConfig } from '../config/schema';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { createLoader, type Loader } from '../data/loader';
import { indexDataset } from '../data/index-dataset';
import { preprocessSpecOf } from '../data/preprocess';
import { splitForConfig } from '../data/split';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { makeDirs } from '../io/make-dirs';
import { isRunFolder, RunFolder } from '../io/run-folder';
import { groupVariables, type TimModel } from '../models';
import { selectBackend } from '../runtime/backend';
import { groupNamesWithVariables, trainedGroups } from '../train/groups';
import { balancedClassWeights } from '../train/loss';
import { checkConfig, initialModel, microBatchLimitOf, trainingLogitAdjustment } from '../train/train';
import { createTrainer, type Trainer } from '../train/trainer';
import type { PerGroup } from '../train/types';
import { DIVERGENCE_FACTOR, SMOOTHING_BETA, suggest, type Suggestion } from './curve';
import { lrFindPng } from './plot';
import { LR_FIND_FILES, type GroupSuggestion, type LrFindResult } from './result-file';
import { lrSweep, scaledRates, type SweepPoint } from './sweep';

/** fastai's defaults: 100 steps from 1e-7 to 10. Tim sweeps 200 steps. */
export const LR_FIND_DEFAULTS = { steps: 200, startLr: 1e-7, endLr: 10 } as const;

export interface LrFindOptions {
  /** The folder for lr-find.json and lr-find.png. */
  out: string;
  /** Replace an earlier lr-find folder at `out` (never anything else). */
  force?: boolean;
  steps?: number;
  startLr?: number;
  endLr?: number;
  backend?: BackendChoice;
}

function checkOptions(cfg: TimConfig, o: Required<Pick<LrFindOptions, 'steps' | 'startLr' | 'endLr'>>): void {
  if (!Number.isInteger(o.steps) || o.steps < 2) throw new TimError(`--steps: expected a whole number of at least 2, got ${o.steps}`);
  if (!(o.startLr > 0 && Number.isFinite(o.startLr))) throw new TimError(`--start-lr: expected a positive number, got ${o.startLr}`);
  if (!(o.endLr > o.startLr && Number.isFinite(o.endLr))) throw new TimError(`--end-lr: expected a number above --start-lr ${o.startLr}, got ${o.endLr}`);
  if (!(cfg.train.lr_groups.head > 0)) {
    throw new TimError(`train.lr_groups.head is ${cfg.train.lr_groups.head}: lr-find sweeps the head's rate and moves the other groups at their ratios to it, so it must be above 0`);
  }
}

/**
 * The output folder may be new, empty, or an earlier lr-find's with --force; never a run folder
 * or a folder inside one, whatever --force says.
 */
export function checkLrFindOut(out: string, force: boolean | undefined): void {
  const resolved = path.resolve(out);
  for (const dir of [resolved, path.dirname(resolved)]) {
    if (isRunFolder(dir)) throw new TimError(`--out ${out}: ${dir} is a Tim run folder; lr-find never writes into a run, so choose another --out`);
  }
  if (!fs.existsSync(resolved)) return;
  if (!fs.statSync(resolved).isDirectory()) throw new TimError(`--out ${out}: a file is there; expected a folder`);
  if (fs.readdirSync(resolved).length === 0) return;
  if (!force) throw new TimError(`--out ${out}: already exists; use --force to replace an earlier lr-find there, or choose another --out`);
  if (!fs.existsSync(path.join(resolved, LR_FIND_FILES.json))) {
    throw new TimError(`--out ${out}: not an lr-find folder (no ${LR_FIND_FILES.json}); --force replaces only an earlier lr-find, so move it or choose another --out`);
  }
}

function asGroups(s: Suggestion, configured: PerGroup<number>): GroupSuggestion {
  return { lr_groups: scaledRates(s.lr, configured), loss: s.loss };
}

const orNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * `tim lr-find`: builds the model the config's training would start from (in memory: no run
 * folder is read or written), sweeps the learning rate over the training split's batches, as
 * augmented in training, and writes lr-find.json and lr-find.png into `out`.
 */
export async function lrFind(cfg: TimConfig, opts: LrFindOptions): Promise<LrFindResult> {
  const sweep = { steps: opts.steps ?? LR_FIND_DEFAULTS.steps, startLr: opts.startLr ?? LR_FIND_DEFAULTS.startLr, endLr: opts.endLr ?? LR_FIND_DEFAULTS.endLr };
  checkConfig(cfg);
  checkOptions(cfg, sweep);
  checkLrFindOut(opts.out, opts.force);
  const index = await indexDataset(cfg.data.root, { cacheDir: cfg.data.cache_dir });
  if (index.classes.length < 2) throw new TimError(`${cfg.data.root}: found ${index.classes.length} class folder(s); lr-find needs at least 2`);
  const split = splitForConfig(index, cfg);
  if (split.train.length === 0) throw new TimError(`${cfg.data.root}: the training split is empty`);
  const backend = await selectBackend(opts.backend ?? cfg.runtime.backend, { forTraining: true });

  const t = cfg.train;
  const numClasses = split.classes.length;
  let tm: TimModel | undefined;
  let loader: Loader | undefined;
  let trainer: Trainer | undefined;
  let points: SweepPoint[];
  let stopped: 'diverged' | 'steps';
  try {
    tm = await initialModel(cfg, numClasses);
    const groups = trainedGroups(groupVariables(tm, cfg.model.stem), { freezeBackbone: cfg.model.freeze_backbone, lrGroups: t.lr_groups });
    if (!groupNamesWithVariables(groups).includes('head')) throw new TimError('train.lr_groups: the head does not train, so lr-find has no rate to sweep');
    loader = await createLoader({
      root: split.root,
      items: split.train,
      spec: preprocessSpecOf(cfg),
      batchSize: t.batch_size,
      shuffle: true,
      seed: cfg.seed,
      augment: cfg.augment,
      cache: cfg.data.cache,
      cacheDir: cfg.data.cache_dir,
    });
    trainer = createTrainer({
      tm,
      train: t,
      groups,
      freezeBackbone: cfg.model.freeze_backbone,
      trainSource: loader,
      numClasses,
      seed: cfg.seed,
      classWeights: t.class_weights === 'balanced' ? balancedClassWeights(split.train.map((it) => it.label), numClasses) : undefined,
      logitAdjustment: trainingLogitAdjustment(cfg, split),
      microBatch: microBatchLimitOf(cfg, backend, tm),
      // Kept for fit(), which lr-find never calls: nothing is written to it.
      run: new RunFolder(opts.out),
    });
    log.info(`lr-find ${cfg.name}: ${cfg.model.arch}, ${split.train.length} training images, head rate ${sweep.startLr} → ${sweep.endLr} over up to ${sweep.steps} steps`);
    ({ points, stopped } = await lrSweep(trainer, loader, { ...sweep, seed: cfg.seed }));
  } finally {
    trainer?.optimizers.dispose();
    loader?.dispose();
    tm?.model.dispose();
  }

  const found = suggest(points.map((p) => p.lr), points.map((p) => p.smoothed), sweep.steps);
  const result: LrFindResult = {
    config: cfg.name,
    arch: cfg.model.arch,
    steps_planned: sweep.steps,
    steps_run: points.length,
    stopped,
    start_lr: sweep.startLr,
    end_lr: sweep.endLr,
    beta: SMOOTHING_BETA,
    divergence_factor: DIVERGENCE_FACTOR,
    lr_groups: { ...t.lr_groups },
    curve: points.map((p) => ({ step: p.step, lr: p.lr, loss: orNull(p.loss), smoothed: orNull(p.smoothed) })),
    suggestions: found ? { steepest: asGroups(found.steepest, t.lr_groups), valley: asGroups(found.valley, t.lr_groups) } : null,
  };
  makeDirs(opts.out);
  writeFileAtomic(path.join(opts.out, LR_FIND_FILES.png), await lrFindPng(points, found, `lr-find: ${cfg.name} (${cfg.model.arch})`));
  writeJsonAtomic(path.join(opts.out, LR_FIND_FILES.json), result);
  return result;
}

type CurvePoint = LrFindResult['curve'][number];

/** Each power of ten the curve passes (its exponent), with the point nearest it. */
function decadePoints(curve: readonly CurvePoint[]): { decade: number; point: CurvePoint }[] {
  const first = curve[0];
  const last = curve[curve.length - 1];
  if (!first || !last) return [];
  const out: { decade: number; point: CurvePoint }[] = [];
  for (let d = Math.ceil(Math.log10(first.lr) - 1e-9); d <= Math.floor(Math.log10(last.lr) + 1e-9); d++) {
    const distance = (p: CurvePoint): number => Math.abs(Math.log10(p.lr) - d);
    out.push({ decade: d, point: curve.reduce((a, b) => (distance(b) < distance(a) ? b : a)) });
  }
  return out;
}

/** What the terminal shows: where it stopped, and each suggestion as --set flags for every group. */
export function formatLrFind(r: LrFindResult, out: string): string {
  const e = (v: number): string => v.toExponential(2);
  const last = r.curve[r.curve.length - 1];
  const lines = [
    `lr-find ${r.config} (${r.arch}): ${r.steps_run} of ${r.steps_planned} steps, ` +
      (r.stopped === 'diverged' ? `stopped when the smoothed loss passed ${r.divergence_factor}x its best (head rate ${last ? e(last.lr) : '-'})` : 'ran to the end without diverging'),
  ];
  const byDecade = decadePoints(r.curve).map(({ decade, point }) => `1e${decade} ${point.smoothed === null ? 'NaN' : point.smoothed.toFixed(3)}`);
  if (byDecade.length) lines.push(`  smoothed loss by head rate: ${byDecade.join(' · ')}`);
  if (!r.suggestions) {
    lines.push(`  too few steps before the divergence for a suggestion; lower --start-lr or --end-lr, or raise --steps`);
  } else {
    for (const [name, s] of Object.entries(r.suggestions)) {
      const g = s.lr_groups;
      lines.push(`  ${name.padEnd(8)} head ${e(g.head)} (loss ${s.loss.toFixed(3)}): --set train.lr_groups.early=${e(g.early)} --set train.lr_groups.middle=${e(g.middle)} --set train.lr_groups.head=${e(g.head)}`);
    }
  }
  lines.push(`  wrote ${LR_FIND_FILES.json} and ${LR_FIND_FILES.png} to ${out}; tim report --lr-find ${out} shows them in a report (beside --runs, or alone)`);
  return lines.join('\n');
}

/** The default output folder: beside the runs, never inside one. */
export function defaultLrFindOut(cfg: TimConfig): string {
  return path.join('lr-find', cfg.name);
}

