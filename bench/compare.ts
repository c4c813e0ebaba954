import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { TimError } from '../src/core/errors';
import { log } from '../src/core/log';
import type { ModelBenchResult } from './model-bench';

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
}

export interface CompareRow {
  arch: string;
  mode: 'train' | 'infer';
  image_size: number;
  batch: number;
  tim: ModelBenchResult;
  torch: ModelBenchResult;
  /** Tim ms/image over PyTorch ms/image. */
  ratio: number;
}

const ROOT = path.resolve(__dirname, '..');

function lastJsonLine(stdout: string, what: string): ModelBenchResult {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (!line) throw new TimError(`${what} printed no JSON result`);
  return JSON.parse(line) as ModelBenchResult;
}

function run(cmd: string, args: string[], what: string): ModelBenchResult {
  log.info(`bench: ${what}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new TimError(`${what}: could not start ${cmd} (${r.error.message})`);
  if (r.status !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new TimError(`${what} failed (exit ${r.status}): ${tail}`);
  }
  return lastJsonLine(r.stdout, what);
}

/**
 * Runs each measurement in its own process (so peak memory is per run), Tim and PyTorch back to
 * back for every backbone and mode, so that both see the same load on a shared machine.
 */
export function runCompare(opts: CompareOptions): CompareRow[] {
  const python = opts.python ?? '/usr/bin/python3';
  const rows: CompareRow[] = [];
  for (const mode of ['train', 'infer'] as const) {
    const size = mode === 'train' ? opts.trainSize : opts.inferSize;
    for (const arch of opts.archs) {
      const common = ['--arch', arch, '--image-size', String(size), '--batch', String(opts.batch), '--steps', String(opts.steps)];
      const tim = run(
        process.execPath,
        [path.join(ROOT, 'bin', 'tim.js'), 'bench', mode, ...common, '--json', ...(opts.backend ? ['--backend', opts.backend] : []),
          ...(opts.wasmThreads ? ['--wasm-threads', String(opts.wasmThreads)] : []),
        ],
        `tim ${mode} ${arch} ${size}px batch ${opts.batch}`,
      );
      const torch = run(python, [path.join(ROOT, 'scripts', 'bench_torch.py'), mode, ...common, '--threads', '2'], `pytorch ${mode} ${arch} ${size}px batch ${opts.batch}`);
      rows.push({ arch, mode, image_size: size, batch: opts.batch, tim, torch, ratio: Number((tim.ms_per_image / torch.ms_per_image).toFixed(2)) });
    }
  }
  return rows;
}

export function compareTable(rows: CompareRow[]): string {
  const head = '| arch | mode | px | batch | Tim backend | Tim ms/img | PyTorch ms/img | Tim/PyTorch | Tim peak MB | PyTorch peak MB |';
  const sep = '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';
  const body = rows.map(
    (r) =>
      `| ${r.arch} | ${r.mode} | ${r.image_size} | ${r.batch} | ${r.tim.backend} | ${r.tim.ms_per_image} | ${r.torch.ms_per_image} | ${r.ratio}× | ${r.tim.peak_rss_mb} | ${r.torch.peak_rss_mb} |`,
  );
  return [head, sep, ...body].join('\n');
}
