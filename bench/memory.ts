import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TimError } from '../src/core/errors';
import { log } from '../src/core/log';
import { memoryTableSchema, type MemoryMeasurement, type MemoryTable } from '../src/runtime/memory-table';
import { lastJsonLine, readJsonFile } from '../src/io/json-file';
import { recordStep } from './dispatches';
import { modelBenchResultSchema } from './model-bench';


/**
 * The measurements behind the memory planner: for each architecture and image size, training
 * steps (two steps so that Adam's slots exist) at a few micro-batch sizes. On wasm, `bench
 * train` in a fresh process per size, reading the wasm heap's high-water mark (a size whose step
 * exhausts the heap is recorded as not fitting). On webgpu, the step recorded without GPU work
 * (`bench train --dispatches`), reading the buffer pool's peak allocation: the same figure on
 * any GPU, since every buffer's size follows from the shapes alone. `--write` merges the result
 * into the committed table.
 */

const ROOT = path.resolve(__dirname, '..');
const MEASURED_MEMORY_FILE = path.join(ROOT, 'src', 'runtime', 'memory-measured.json');

export interface MemoryBenchOptions {
  archs: string[];
  imageSize: number;
  microBatches: number[];
  backend: string;
  write: boolean;
}

/** The buffer pool's peak allocation over a recorded webgpu training step, MB. */
async function measureWebGpu(arch: string, imageSize: number, micro: number): Promise<number> {
  log.info(`bench memory: ${arch} ${imageSize}px micro-batch ${micro} (webgpu, recorded)`);
  const r = await recordStep({ arch, imageSize, batch: micro, microBatch: micro }, 'tim');
  return Math.round(r.peak_bytes_allocated / 2 ** 20);
}

function measureWasm(arch: string, imageSize: number, micro: number, backend: string): number | null {
  const args = [path.join(ROOT, 'bin', 'tim.js'), 'bench', 'train', '--arch', arch, '--image-size', String(imageSize), '--batch', String(micro), '--micro-batch', String(micro), '--steps', '1', '--warmup', '1', '--backend', backend, '--json'];
  log.info(`bench memory: ${arch} ${imageSize}px micro-batch ${micro}`);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const text = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) {
    if (/heap exhausted|out of bounds|Could not allocate|OOM/i.test(text) || r.signal === 'SIGKILL') return null;
    throw new TimError(`bench train ${arch} micro-batch ${micro} failed (exit ${r.status ?? r.signal}): ${text.trim().split('\n').slice(-2).join(' | ')}`);
  }
  const res = lastJsonLine(r.stdout, `bench train ${arch} micro-batch ${micro}`, modelBenchResultSchema);
  if (res.wasm_heap_mb === undefined) throw new TimError(`bench train ${arch} printed no wasm_heap_mb (backend ${backend})`);
  return res.wasm_heap_mb;
}

export async function runMemoryBench(o: MemoryBenchOptions): Promise<MemoryMeasurement[]> {
  const date = new Date().toISOString().slice(0, 10);
  const rows: MemoryMeasurement[] = [];
  for (const arch of o.archs) {
    const points = [];
    for (const m of o.microBatches) {
      points.push({ micro_batch: m, heap_mb: o.backend === 'webgpu' ? await measureWebGpu(arch, o.imageSize, m) : measureWasm(arch, o.imageSize, m, o.backend) });
    }
    rows.push({ arch, image_size: o.imageSize, backend: o.backend, measured: date, points });
  }
  if (o.write) {
    const table: MemoryTable = readJsonFile(MEASURED_MEMORY_FILE, memoryTableSchema);
    const key = (r: MemoryMeasurement): string => `${r.arch}/${r.image_size}/${r.backend}`;
    const fresh = new Set(rows.map(key));
    table.measurements = [...table.measurements.filter((r) => !fresh.has(key(r))), ...rows].sort((a, b) => key(a).localeCompare(key(b)));
    fs.writeFileSync(MEASURED_MEMORY_FILE, `${JSON.stringify(table, null, 2)}\n`);
    log.info(`wrote ${rows.length} measurement(s) to ${path.relative(ROOT, MEASURED_MEMORY_FILE)}`);
  }
  return rows;
}
