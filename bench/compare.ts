import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { z } from 'zod';
import { TimError } from '../src/core/errors';
import { log } from '../src/core/log';
import { lastJsonLine } from '../src/io/json-file';
import { modelBenchResultSchema, type ModelBenchResult } from './model-bench';

export const COMPARE_ARCHS = ['resnet50', 'efficientnet_b0', 'convnext_tiny'] as const;

export interface CompareOptions {
  archs: string[];
  trainSize: number;
  inferSize: number;
  batch: number;
  steps: number;
  backend?: string;
  wasmThreads?: number;
  python?: string;
  /** Where PyTorch runs: its CPU (2 threads) or a CUDA GPU, measured with TF32 off and on. */
  torchDevice?: 'cpu' | 'cuda';
}

export interface CompareRow {
  arch: string;
  mode: 'train' | 'infer';
  image_size: number;
  batch: number;
  tim: ModelBenchResult;
  /** PyTorch in full fp32 (on CUDA: TF32 off). */
  torch: ModelBenchResult;
  /** Tim ms/image over PyTorch ms/image. */
  ratio: number;
  /** On CUDA: PyTorch with TF32 matrix products and convolutions, and Tim's ratio to it. */
  torch_tf32?: ModelBenchResult;
  ratio_tf32?: number;
}

/** Runs one measurement and returns what it printed; injected in tests. */
export type BenchRunner = (cmd: string, args: string[], what: string) => string;

/** What `scripts/bench_torch.py probe` prints. */
const torchProbeSchema = z.looseObject({ torch: z.string().optional(), cuda: z.boolean().optional() });

const ROOT = path.resolve(__dirname, '..');

function run(cmd: string, args: string[], what: string): string {
  log.info(`bench: ${what}`);
  // A GPU step at 224 px, batch 32, with a first-call compile, can take minutes.
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new TimError(`${what}: could not start ${cmd} (${r.error.message})`);
  if (r.status !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new TimError(`${what} failed (exit ${r.status}): ${tail}`);
  }
  return r.stdout;
}

/**
 * Runs each measurement in its own process (so peak memory is per run), Tim and PyTorch back to
 * back for every backbone and mode, so that both see the same load on a shared machine.
 */
export function runCompare(opts: CompareOptions, runner: BenchRunner = run): CompareRow[] {
  const measure = (cmd: string, args: string[], what: string): ModelBenchResult => lastJsonLine(runner(cmd, args, what), what, modelBenchResultSchema);
  const python = opts.python ?? '/usr/bin/python3';
  const script = path.join(ROOT, 'scripts', 'bench_torch.py');
  const cuda = opts.torchDevice === 'cuda';
  if (cuda) {
    const what = `pytorch probe (${python})`;
    const probe = lastJsonLine(runner(python, [script, 'probe'], what), what, torchProbeSchema);
    if (!probe.cuda) {
      throw new TimError(
        `--torch-device cuda: ${python} has torch ${probe.torch ?? '?'} without a CUDA device (torch.cuda.is_available() is false); ` +
          'use --python with a CUDA build of PyTorch on a machine with an NVIDIA GPU, or leave --torch-device at cpu',
      );
    }
  }
  const rows: CompareRow[] = [];
  for (const mode of ['train', 'infer'] as const) {
    const size = mode === 'train' ? opts.trainSize : opts.inferSize;
    for (const arch of opts.archs) {
      const common = ['--arch', arch, '--image-size', String(size), '--batch', String(opts.batch), '--steps', String(opts.steps)];
      const tim = measure(
        process.execPath,
        [path.join(ROOT, 'bin', 'tim.js'), 'bench', mode, ...common, '--json', ...(opts.backend ? ['--backend', opts.backend] : []),
          ...(opts.wasmThreads ? ['--wasm-threads', String(opts.wasmThreads)] : []),
        ],
        `tim ${mode} ${arch} ${size}px batch ${opts.batch}`,
      );
      const torchRun = (tf32: 'off' | 'on'): ModelBenchResult =>
        measure(
          python,
          [script, mode, ...common, '--threads', '2', ...(cuda ? ['--device', 'cuda', '--tf32', tf32] : [])],
          `pytorch ${mode} ${arch} ${size}px batch ${opts.batch}${cuda ? ` on cuda, TF32 ${tf32}` : ''}`,
        );
      const torch = torchRun('off');
      const ratio = (t: ModelBenchResult): number => Number((tim.ms_per_image / t.ms_per_image).toFixed(2));
      const row: CompareRow = { arch, mode, image_size: size, batch: opts.batch, tim, torch, ratio: ratio(torch) };
      if (cuda) {
        const tf32 = torchRun('on');
        row.torch_tf32 = tf32;
        row.ratio_tf32 = ratio(tf32);
      }
      rows.push(row);
    }
  }
  return rows;
}

export function compareTable(rows: CompareRow[]): string {
  const tf32 = rows.some((r) => r.torch_tf32);
  const head = `| arch | mode | px | batch | Tim backend | Tim ms/img | PyTorch ms/img${tf32 ? ' (TF32 off)' : ''} | Tim/PyTorch |${tf32 ? ' PyTorch ms/img (TF32 on) | Tim/PyTorch (TF32 on) |' : ''} Tim peak MB | PyTorch peak MB |`;
  const sep = `| --- | --- | --- | --- | --- | --- | --- | --- |${tf32 ? ' --- | --- |' : ''} --- | --- |`;
  const body = rows.map(
    (r) =>
      `| ${r.arch} | ${r.mode} | ${r.image_size} | ${r.batch} | ${r.tim.backend} | ${r.tim.ms_per_image} | ${r.torch.ms_per_image} | ${r.ratio}× |` +
      `${tf32 ? ` ${r.torch_tf32?.ms_per_image ?? '-'} | ${r.ratio_tf32 !== undefined ? `${r.ratio_tf32}×` : '-'} |` : ''} ${r.tim.peak_rss_mb} | ${r.torch.peak_rss_mb} |`,
  );
  return [head, sep, ...body].join('\n');
}
