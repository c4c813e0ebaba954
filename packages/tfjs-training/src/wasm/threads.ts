import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TrainingError } from '../errors';
import { fieldOf, methodOf } from '../untyped';
import { redirectWorkerBlob, reportCpusFor } from './global-patches';

let prepared = false;

/** Cap on the default, so that a many-core host does not start dozens of workers; TIM_WASM_THREADS goes higher. */
const MAX_DEFAULT_THREADS = 8;

/**
 * Threads for the wasm backend, XNNPACK's and Tim's kernels' alike: TIM_WASM_THREADS when set
 * (1 turns threads off), otherwise one per core the process may use.
 */
export function wasmThreadCount(env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): number {
  const raw = env.TIM_WASM_THREADS;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new TrainingError(`TIM_WASM_THREADS must be a whole number of at least 1, got '${raw}'`);
    return n;
  }
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, cores));
}

/**
 * XNNPACK's pool threads wait for work for the life of the process; unreferenced, they no
 * longer keep Node's event loop alive, so a command still exits when its work is done.
 */
function unrefPoolWorkers(backend: unknown): void {
  const pool = fieldOf(fieldOf(backend, 'wasm'), 'PThread');
  for (const list of ['runningWorkers', 'unusedWorkers']) {
    const workers = fieldOf(pool, list);
    if (Array.isArray(workers)) for (const worker of workers as unknown[]) methodOf(worker, 'unref')?.();
  }
}

/**
 * Turns on the threaded-SIMD build of the wasm backend in Node; call before the backend starts.
 *
 * tfjs switches it off in Node because Emscripten's pthread worker is handed `blob:` URLs (for
 * the worker script, and for the main script the worker imports), which Node's worker_threads
 * cannot load. Both scripts are written to files instead: the main thread's `URL.createObjectURL`
 * returns the worker file for the worker script's Blob (redirectWorkerBlob), and the worker file
 * begins with a line pointing the worker's own `URL.createObjectURL` at the main-script file.
 * Emscripten unrefs idle workers, so the process still exits by itself.
 *
 * The backend also caps its thread pool at half the logical cores (it assumes two hyper-threads
 * per core), which is one thread on a 2-core machine; until the backend exists `os.cpus()` reports
 * twice the threads wanted so that the cap lets them through (reportCpusFor).
 */
export function prepareWasmThreads(threads: number): boolean {
  if (prepared) return true;
  if (threads < 2 || typeof process === 'undefined' || !process.versions?.node) return false;
  try {
     
    const worker = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string };
     
    const factory = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js') as (...a: unknown[]) => unknown;
     
    const wasm = require('@tensorflow/tfjs-backend-wasm') as { setThreadsCount(n: number): void };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tim-wasm-'));
    const mainFile = path.join(dir, 'main.js');
    const workerFile = path.join(dir, 'worker.js');
    fs.writeFileSync(mainFile, `var WasmBackendModuleThreadedSimd = ${factory.toString()}`);
    const prelude = `URL.createObjectURL = () => ${JSON.stringify(mainFile)}; URL.revokeObjectURL = () => {};\n`;
    // The contents sit in a template literal that turned their escaped newlines into real ones.
    fs.writeFileSync(workerFile, prelude + worker.wasmWorkerContents.replace(/\n/g, '\\n'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

    // Only the worker script's blob (recognised by its size) is redirected to the file.
    redirectWorkerBlob(Buffer.byteLength(worker.wasmWorkerContents.replace(/\n/g, '\\n')), workerFile);
    const restoreCpus = reportCpusFor(threads);
    // The cap is read once, when the module starts: give os.cpus back as soon as the backend exists.
    const started = Date.now();
    const timer = setInterval(() => {
      const registry = tf.engine().registry;
      if (registry.wasm !== undefined || Date.now() - started > 120_000) {
        restoreCpus();
        clearInterval(timer);
        unrefPoolWorkers(registry.wasm);
      }
    }, 20);
    timer.unref();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    prepared = true;
    return true;
  } catch {
    return false;
  }
}
