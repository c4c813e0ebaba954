import * as fs from 'fs';
import * as path from 'path';
import { oneLine, TimError } from '../core/errors';
import { log } from '../core/log';
import { MODEL_JSON } from '../io/model-io';
import { RUN_FILES, shardMarkerFile, shardMarkerPath, SWEEP_FILES } from '../io/run-folder';
import { isFinishedRun, isTrainedRun } from './run-data';
import { selectShard, type Shard } from './shard';
import { defaultRunSteps, type RunSteps } from './steps';
import { manifestOf, writeManifest, writeSweepSummary } from './summary';
import { openOutputFolder, type OutputFolderRule } from '../io/output-folder';
import { expandSweep, type SweepRun, type SweepSpec } from './sweep-spec';

export type RunStatus = 'finished' | 'trained' | 'interrupted' | 'pending';

export interface PlannedRun extends SweepRun {
  dir: string;
  status: RunStatus;
}

export interface SweepOptions {
  /** The sweep folder; default `spec.out`, else `checkpoints/sweeps/<name>`. */
  out?: string;
  shard?: Shard;
  steps?: RunSteps;
}

export interface SweepResult {
  out: string;
  planned: PlannedRun[];
  ran: string[];
  skipped: string[];
  failed: { name: string; error: string }[];
  summary: { csv: string; md: string; pairs: string; finished: number };
}

export function sweepOutDir(spec: SweepSpec, out?: string): string {
  return out ?? spec.out ?? path.join('checkpoints', 'sweeps', spec.name);
}

/** `<out>/shards/<i>-of-<n>.json`: left by a shard when it has ended, whatever became of its runs. */
export function shardMarker(out: string, shard: Shard): string {
  return shardMarkerPath(out, shard);
}

/** Waits until all `count` shards have left their markers (the merge step of a job array without dependencies). */
export async function waitForShards(out: string, count: number, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 7 * 24 * 3600 * 1000);
  for (;;) {
    const missing = Array.from({ length: count }, (_, index) => index).filter((index) => !fs.existsSync(shardMarker(out, { index, count })));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new TimError(`${path.join(out, SWEEP_FILES.shards)}: shards ${missing.join(', ')} of ${count} have not ended`);
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 30_000));
  }
}

/** Where a run stands: finished runs are skipped, trained ones only evaluated, interrupted ones resumed. */
export function runStatus(dir: string): RunStatus {
  if (isFinishedRun(dir)) return 'finished';
  if (isTrainedRun(dir)) return 'trained';
  if (fs.existsSync(path.join(dir, RUN_FILES.last, MODEL_JSON))) return 'interrupted';
  return 'pending';
}

/** The files a sweep writes beside its runs. */
const SWEEP_OUTPUTS = [SWEEP_FILES.manifest, SWEEP_FILES.summaryCsv, SWEEP_FILES.summaryMd, SWEEP_FILES.pairsCsv, SWEEP_FILES.varianceCsv];

/** A sweep folder from before Tim marked its outputs: it has the sweep's manifest, or holds only this sweep's runs. */
function sweepRule(runs: readonly SweepRun[]): OutputFolderRule {
  const names = new Set(runs.map((r) => r.name));
  return { legacy: (_dir, files) => files.includes(SWEEP_FILES.manifest) || files.every((f) => names.has(f.split('/')[0] ?? '')) };
}

/**
 * Opens `out` as this sweep's folder (new, empty, or Tim's sweep), marking it as a sweep: the
 * job files `--emit` writes and the cluster's logs then sit in a folder the tasks recognise.
 */
export function openSweepFolder(out: string, runs: readonly SweepRun[]): void {
  openOutputFolder(out, 'sweep', SWEEP_OUTPUTS, sweepRule(runs));
}

/** The runs of this shard and where each stands, without running anything. */
export function planSweep(spec: SweepSpec, opts: Pick<SweepOptions, 'out' | 'shard'> = {}): { out: string; all: SweepRun[]; planned: PlannedRun[] } {
  const out = sweepOutDir(spec, opts.out);
  const all = expandSweep(spec);
  const planned = selectShard(all, opts.shard).map((r) => {
    const dir = path.join(out, r.name);
    return { ...r, dir, status: runStatus(dir) };
  });
  return { out, all, planned };
}

/**
 * Runs this shard's part of a sweep: each run is trained and then evaluated into its own
 * folder under `out`. A failed run is reported and the others go on; the summary is written
 * either way, and the sweep then fails naming the runs that did.
 */
export async function runSweep(spec: SweepSpec, opts: SweepOptions = {}): Promise<SweepResult> {
  const steps = opts.steps ?? defaultRunSteps();
  const { out, all, planned } = planSweep(spec, opts);
  openSweepFolder(out, all);
  writeManifest(out, manifestOf(spec, all));
  const shardText = opts.shard ? ` (shard ${opts.shard.index}/${opts.shard.count})` : '';
  log.info(`sweep ${spec.name}: ${planned.length} of ${all.length} runs${shardText} in ${out}`);

  const ran: string[] = [];
  const skipped: string[] = [];
  const failed: { name: string; error: string }[] = [];
  for (const [i, run] of planned.entries()) {
    const tag = `[${i + 1}/${planned.length}] ${run.name}`;
    if (run.status === 'finished') {
      log.info(`${tag}: finished earlier, skipped`);
      skipped.push(run.name);
      continue;
    }
    try {
      if (run.status === 'pending') {
        log.info(`${tag}: training`);
        // A folder without a checkpoint holds nothing worth keeping (a run that died at start).
        await steps.train(run.config, { out: run.dir, force: true });
      } else if (run.status === 'interrupted') {
        log.info(`${tag}: resuming from ${path.join(run.dir, RUN_FILES.last)}`);
        await steps.train(run.config, { out: run.dir, resume: run.dir });
      }
      if (!isTrainedRun(run.dir)) throw new TimError(`training ended without a finished ${RUN_FILES.summary} in ${run.dir}`);
      log.info(`${tag}: evaluating`);
      await steps.evaluate(run.dir, spec.evaluate);
      if (!isFinishedRun(run.dir)) throw new TimError(`evaluation wrote no ${RUN_FILES.metrics} in ${run.dir}`);
      ran.push(run.name);
    } catch (e) {
      log.warn(`${tag} failed: ${oneLine(e)}`);
      failed.push({ name: run.name, error: oneLine(e) });
    }
  }
  const summary = writeSweepSummary(out, { resamples: spec.evaluate.bootstrap, seed: spec.evaluate.seed });
  log.info(`sweep ${spec.name}: ${summary.finished} of ${all.length} runs finished; summary in ${summary.md}`);
  if (opts.shard) shardMarkerFile.write(shardMarker(out, opts.shard), { ran, skipped, failed, ended_at: new Date().toISOString() });
  return { out, planned, ran, skipped, failed, summary };
}
