import { Worker } from 'node:worker_threads';
import { isSharedHeap, type BoundKernels, type KernelCall } from './simd';
import { KERNEL_NAMES, KERNEL_SIGNATURES } from './simd/kernels-signatures';
import { positionalArgs } from './simd/named-call';
import { wasmThreadCount } from './threads';

/** Control words each worker shares with the main thread (Int32), then its call's arguments. */
const STATE = 0;
const KERNEL = 1;
const ARGC = 2;
const CONTROL_BYTES = 16;
/**
 * Arguments travel as float64, which holds every i32 and f32 exactly; the export converts them
 * back, so an address above 2 GiB wraps to the same 32 bits the kernel reads.
 */
const MAX_ARGS = Math.max(...KERNEL_NAMES.map((name) => KERNEL_SIGNATURES[name].length));
const IDLE = 0;
const POSTED = 1;
const DONE = 2;
const FAILED = 3;

/**
 * A worker instantiates the kernels on the same shared heap, then waits on its control words for
 * calls. It never returns to its event loop, and is unreferenced, so it does not keep the
 * process alive.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, names } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const kernels = names.map((name) => instance.exports[name]);
const c = new Int32Array(control, 0, ${CONTROL_BYTES / 4});
const args = new Float64Array(control, ${CONTROL_BYTES});
for (;;) {
  const state = Atomics.load(c, ${STATE});
  if (state !== ${POSTED}) { Atomics.wait(c, ${STATE}, state); continue; }
  let next = ${DONE};
  try {
    kernels[c[${KERNEL}]](...Array.from(args.subarray(0, c[${ARGC}])));
  } catch {
    next = ${FAILED};
  }
  Atomics.store(c, ${STATE}, next);
  Atomics.notify(c, ${STATE});
}
`;

interface PoolWorker {
  worker: Worker;
  control: Int32Array;
  args: Float64Array;
}

const pools = new WeakMap<WebAssembly.Memory, PoolWorker[]>();

function poolFor(bound: BoundKernels): PoolWorker[] {
  const cached = pools.get(bound.memory);
  if (cached) return cached;
  const workers: PoolWorker[] = [];
  // Only the threaded build's heap can be shared with other threads.
  const extra = isSharedHeap(bound.memory) ? wasmThreadCount() - 1 : 0;
  for (let i = 0; i < extra; i++) {
    const control = new SharedArrayBuffer(CONTROL_BYTES + 8 * MAX_ARGS);
    try {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module: bound.module, memory: bound.memory, control, names: KERNEL_NAMES },
      });
      worker.unref();
      workers.push({ worker, control: new Int32Array(control, 0, CONTROL_BYTES / 4), args: new Float64Array(control, CONTROL_BYTES) });
    } catch {
      // A process that may start no more threads still computes everything, on fewer of them.
      break;
    }
  }
  pools.set(bound.memory, workers);
  return workers;
}

/** How many calls runParallel runs at once on this heap: the main thread and the pool's workers. */
export function parallelism(bound: BoundKernels): number {
  return 1 + poolFor(bound).length;
}

/**
 * Runs the calls at once, the first on this thread and each other on a worker, and returns when
 * all are done. The calls must write to disjoint memory. With no workers, they run in turn.
 */
export function runParallel(bound: BoundKernels, calls: KernelCall[]): void {
  const workers = poolFor(bound);
  if (calls.length > workers.length + 1) throw new Error(`runParallel: ${calls.length} calls for ${workers.length + 1} threads`);
  // Every call's arguments are checked before any worker starts.
  const argLists = calls.map(positionalArgs);
  const posted: PoolWorker[] = [];
  for (let i = 1; i < calls.length; i++) {
    const call = calls[i] as KernelCall;
    const w = workers[i - 1] as PoolWorker;
    const args = argLists[i] as number[];
    w.control[KERNEL] = KERNEL_NAMES.indexOf(call.name);
    w.control[ARGC] = args.length;
    w.args.set(args);
    Atomics.store(w.control, STATE, POSTED);
    Atomics.notify(w.control, STATE);
    posted.push(w);
  }
  let failure: Error | undefined;
  const first = calls[0];
  if (first) {
    try {
      bound.positional[first.name](...(argLists[0] as number[]));
    } catch (e) {
      // Workers are still running on the heap: wait for them before the error unwinds.
      failure = e instanceof Error ? e : new Error(String(e));
    }
  }
  let workerFailed = false;
  for (const w of posted) {
    while (Atomics.load(w.control, STATE) === POSTED) Atomics.wait(w.control, STATE, POSTED);
    if (Atomics.load(w.control, STATE) === FAILED) workerFailed = true;
    Atomics.store(w.control, STATE, IDLE);
  }
  if (failure) throw failure;
  if (workerFailed) throw new Error('a wasm kernel failed on a worker thread');
}

/** Splits rows [0, m) into at most `parts` ranges whose starts are multiples of 4 (the kernels' tile height). */
export function splitRows(m: number, parts: number): [number, number][] {
  const ranges: [number, number][] = [];
  const step = Math.ceil(m / parts / 4) * 4;
  for (let r = 0; r < m; r += step) ranges.push([r, Math.min(m, r + step)]);
  return ranges;
}
