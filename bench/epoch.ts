import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../src/config/load';
import type { BackendChoice, TimConfig } from '../src/config/schema';
import { TimError } from '../src/core/errors';
import { log } from '../src/core/log';
import { prepareCache } from '../src/data/cache';
import { preprocessSpecOf } from '../src/data/preprocess';
import { wasmHeapMb } from '@tim/tfjs-training';
import { train } from '../src/train/train';
import { lastJsonLine } from '../src/io/json-file';
import { historyFile, RunFolder } from '../src/io/run-folder';
import { type OutputFolderRule, replaceWithEmptyOutputFolder } from '../src/io/output-folder';
import { type HistoryRecord, type TrainSummary } from '../src/train/types';
import { ensureLargeJpegs } from './data';
import { peakRssMb } from './model-bench';

/**
 * One real epoch of a shipped config, in Tim and in PyTorch, on the same generated folder of
 * large JPEGs: the config's image size, resize mode, augmentation, batch size, the three Adam
 * groups, then the validation pass. Each side runs in its own process: first the cold epoch
 * (Tim builds its decoded-image cache first, counted in; PyTorch starts its workers and
 * allocators), then the warm one (PyTorch: the median of three, its DataLoader's persistent
 * workers taking a few epochs to settle). Saving checkpoints is not counted.
 */

export const EPOCH_CONFIGS = ['resnet50', 'efficientnet_b0', 'convnext_tiny'] as const;

/** The reference data set's paintings are about this size. */
const IMAGE_WIDTH = 1200;
const IMAGE_HEIGHT = 900;
const CLASSES = 4;
const ROOT = path.resolve(__dirname, '..');

export const epochTimingSchema = z.looseObject({
  /** The whole epoch: training steps and the validation pass (and, cold, Tim's cache build). */
  seconds: z.number(),
  train_seconds: z.number(),
  val_seconds: z.number(),
  /** Images of the epoch (training and validation) over its seconds. */
  images_per_sec: z.number(),
  /** Tim: of those seconds, the ones it waited for images and spent augmenting them (history.jsonl). */
  data_wait_seconds: z.number().optional(),
  data_prepare_seconds: z.number().optional(),
});
export type EpochTiming = z.infer<typeof epochTimingSchema>;

/** What one side prints (`bench epoch-side --json`, `scripts/bench_epoch_torch.py`). */
export const epochSideResultSchema = z.looseObject({
  side: z.enum(['tim', 'torch']),
  backend: z.string(),
  config: z.string(),
  train_images: z.number(),
  val_images: z.number(),
  batch_size: z.number(),
  /** Images per forward/backward pass (BatchNorm statistics are per micro-batch); PyTorch: the batch. */
  micro_batch: z.number(),
  cold: epochTimingSchema.extend({ cache_seconds: z.number().optional() }),
  warm: epochTimingSchema,
  peak_rss_mb: z.number(),
  /** Tim on wasm: the heap's size at the end (it never shrinks, so its high-water mark). */
  wasm_heap_mb: z.number().optional(),
  /** PyTorch: DataLoader workers and the largest worker's peak RSS. */
  workers: z.number().optional(),
  workers_peak_rss_mb: z.number().optional(),
});
export type EpochSideResult = z.infer<typeof epochSideResultSchema>;

export interface EpochRow {
  config: string;
  images: number;
  tim: EpochSideResult;
  torch?: EpochSideResult;
  /** Warm epoch seconds, Tim over PyTorch. */
  ratio?: number;
}

function timing(trainSeconds: number, valSeconds: number, images: number, extra = 0): EpochTiming {
  const seconds = trainSeconds + valSeconds + extra;
  return {
    seconds: Number(seconds.toFixed(3)),
    train_seconds: Number(trainSeconds.toFixed(3)),
    val_seconds: Number(valSeconds.toFixed(3)),
    images_per_sec: Number((images / seconds).toPrecision(4)),
  };
}

export interface TimEpochOptions {
  config: string;
  /** The image folder (one sub-folder per class). */
  root: string;
  /** Run folder to write; replaced. */
  out: string;
  microBatch?: number;
  backend?: BackendChoice;
  /** Extra `key=value` config overrides (tests shrink the image size with them). */
  set?: string[];
}

/** The resolved config an epoch benchmark trains with. */
export function epochConfig(o: Pick<TimEpochOptions, 'config' | 'root' | 'out' | 'microBatch' | 'backend' | 'set'>): TimConfig {
  const overrides = [
    `data.root=${o.root}`,
    'data.cache=true',
    `data.cache_dir=${path.join(o.out, 'cache')}`,
    'model.pretrained=none',
    'train.epochs=2',
    `runtime.backend=${o.backend ?? 'wasm'}`,
    ...(o.microBatch ? [`train.micro_batch=${o.microBatch}`] : []),
    ...(o.set ?? []),
  ];
  return loadConfig(o.config, overrides).config;
}

/** What a benchmark folder holds: the run it trains and its image cache. */
const BENCH_FOLDER_RULE: OutputFolderRule = {
  alsoOwns: (f) => f.startsWith('run/') || f.startsWith('cache/'),
  legacy: (_dir, files) => files.every((f) => f.startsWith('run/') || f.startsWith('cache/')),
};

/** Tim's side, in this process: builds the cache (timed), then trains two epochs with `tim train`'s code. */
export async function runTimEpoch(o: TimEpochOptions): Promise<EpochSideResult> {
  const cfg = epochConfig(o);
  // The folder is emptied for each measurement: only one Tim made for it, never a user's.
  replaceWithEmptyOutputFolder(o.out, 'epoch benchmark', BENCH_FOLDER_RULE);
  const runDir = path.join(o.out, 'run');
  const t0 = performance.now();
  await prepareCache(cfg.data.root, preprocessSpecOf(cfg), { cacheDir: cfg.data.cache_dir, progress: false });
  const cacheSeconds = (performance.now() - t0) / 1000;
  const summary: TrainSummary = await train(cfg, { out: runDir, force: true, liveProgress: false });
  const history = new RunFolder(runDir).readLines(historyFile);
  const images = summary.train_images + summary.val_images;
  const epochTiming = (h: HistoryRecord | undefined, extra = 0): EpochTiming => {
    if (!h) throw new TimError(`${runDir}/history.jsonl: expected two epochs`);
    const trainSeconds = h.images_per_sec > 0 ? summary.train_images / h.images_per_sec : 0;
    return {
      ...timing(trainSeconds, h.seconds - trainSeconds, images, extra),
      ...(h.data_wait_seconds !== undefined ? { data_wait_seconds: h.data_wait_seconds } : {}),
      ...(h.data_prepare_seconds !== undefined ? { data_prepare_seconds: h.data_prepare_seconds } : {}),
    };
  };
  const heap = wasmHeapMb();
  return {
    side: 'tim',
    backend: summary.backend,
    config: o.config,
    train_images: summary.train_images,
    val_images: summary.val_images,
    batch_size: cfg.train.batch_size,
    micro_batch: summary.micro_batch,
    cold: { ...epochTiming(history[0], cacheSeconds), cache_seconds: Number(cacheSeconds.toFixed(3)) },
    warm: epochTiming(history[1]),
    peak_rss_mb: peakRssMb(),
    ...(heap !== undefined ? { wasm_heap_mb: heap } : {}),
  };
}

/** The settings the PyTorch script reads: the config's recipe and the run's split. */
function torchSpec(cfg: TimConfig, splitFile: string): Record<string, unknown> {
  return {
    arch: cfg.model.arch,
    image_size: cfg.data.image_size,
    resize: cfg.data.resize,
    hflip: cfg.augment.hflip,
    rotate_degrees: cfg.augment.rotate_degrees,
    color_jitter: cfg.augment.color_jitter,
    mean: cfg.augment.normalize.mean,
    std: cfg.augment.normalize.std,
    batch_size: cfg.train.batch_size,
    lr_groups: cfg.train.lr_groups,
    adam_epsilon: cfg.train.adam_epsilon,
    split: splitFile,
  };
}

function runSide(cmd: string, args: string[], what: string): EpochSideResult {
  log.info(`bench: ${what}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, CI: '1' } });
  if (r.error) throw new TimError(`${what}: could not start ${cmd} (${r.error.message})`);
  if (r.status !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new TimError(`${what} failed (exit ${r.status ?? r.signal}): ${tail}`);
  }
  return lastJsonLine(r.stdout, what, epochSideResultSchema);
}

export interface EpochBenchOptions {
  configs: string[];
  images: number;
  microBatch?: number;
  backend?: BackendChoice;
  /** Interpreter with torch and torchvision; null: Tim only. */
  python: string | null;
  /** PyTorch DataLoader workers (default: the script's, the fastest measured here). */
  workers?: number;
  /** Where the generated JPEGs are kept between runs. */
  workDir?: string;
}

/**
 * For every config, Tim's epoch and then PyTorch's, each in its own process (so that peak
 * memory is per run and both see the same load on a shared machine).
 */
export async function runEpochBench(o: EpochBenchOptions): Promise<EpochRow[]> {
  for (const c of o.configs) epochConfig({ config: c, root: '.', out: '.' });
  const workDir = o.workDir ?? path.join(os.tmpdir(), 'tim-bench-data');
  const root = await ensureLargeJpegs(workDir, { count: o.images, width: IMAGE_WIDTH, height: IMAGE_HEIGHT, classes: CLASSES });
  const rows: EpochRow[] = [];
  for (const config of o.configs) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tim-bench-epoch-'));
    try {
      const args = ['bench', 'epoch-side', '--config', config, '--root', root, '--out', out];
      if (o.microBatch) args.push('--micro-batch', String(o.microBatch));
      if (o.backend) args.push('--backend', o.backend);
      const tim = runSide(process.execPath, [path.join(ROOT, 'bin', 'tim.js'), ...args], `tim epoch ${config}, ${o.images} images`);
      let torch: EpochSideResult | undefined;
      if (o.python) {
        const cfg = epochConfig({ config, root, out, microBatch: o.microBatch, backend: o.backend });
        const specFile = path.join(out, 'torch-spec.json');
        fs.writeFileSync(specFile, JSON.stringify(torchSpec(cfg, path.join(out, 'run', 'split.json'))));
        const extra = o.workers !== undefined ? ['--workers', String(o.workers)] : [];
        torch = { ...runSide(o.python, [path.join(ROOT, 'scripts', 'bench_epoch_torch.py'), specFile, '--threads', '2', ...extra], `pytorch epoch ${config}`), config };
      }
      const row: EpochRow = { config, images: o.images, tim, torch, ...(torch ? { ratio: Number((tim.warm.seconds / torch.warm.seconds).toFixed(2)) } : {}) };
      log.info(`bench: ${epochTable([row]).split('\n')[2] ?? ''}`);
      rows.push(row);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  return rows;
}

export function epochTable(rows: EpochRow[]): string {
  const head =
    '| config | images | batch / micro-batch | Tim cold s (cache s) | Tim warm s | Tim warm s waiting for / preparing images | Tim img/s | PyTorch cold s | PyTorch warm s | PyTorch img/s | Tim/PyTorch (warm) | Tim peak RSS MB (wasm heap) | PyTorch peak RSS MB (+ worker) |';
  const sep = `|${' --- |'.repeat(13)}`;
  const body = rows.map((r) => {
    const t = r.tim;
    const p = r.torch;
    const dash = '-';
    return (
      `| ${r.config} | ${t.train_images}+${t.val_images} | ${t.batch_size} / ${t.micro_batch} | ${t.cold.seconds} (${t.cold.cache_seconds ?? dash}) | ${t.warm.seconds} | ${t.warm.data_wait_seconds ?? dash} / ${t.warm.data_prepare_seconds ?? dash} | ${t.warm.images_per_sec} | ` +
      `${p?.cold.seconds ?? dash} | ${p?.warm.seconds ?? dash} | ${p?.warm.images_per_sec ?? dash} | ${r.ratio !== undefined ? `${r.ratio}×` : dash} | ` +
      `${t.peak_rss_mb} (${t.wasm_heap_mb ?? dash}) | ${p ? `${p.peak_rss_mb} (+ ${p.workers ?? 0}× ${p.workers_peak_rss_mb ?? 0})` : dash} |`
    );
  });
  return [head, sep, ...body].join('\n');
}
