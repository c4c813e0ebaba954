import { Worker } from 'node:worker_threads';

/** Seconds with no kernel finishing and the event loop blocked, heap at its cap, before the watchdog acts. */
const STALL_SECONDS = 45;
/** The heap counts as exhausted from here: within 256 MiB of the 4 GiB cap. */
const FULL_BYTES = 4 * 2 ** 30 - 256 * 2 ** 20;

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { memory, beats, stallMs, fullBytes, message } = workerData;
let last = '';
let since = Date.now();
setInterval(() => {
  // Progress is a kernel finishing (a long training step) or the event loop turning (decoding
  // images, writing files, waiting): the stuck process does neither.
  const now = Atomics.load(beats, 0) + ',' + Atomics.load(beats, 1);
  if (now !== last) { last = now; since = Date.now(); return; }
  if (Date.now() - since >= stallMs && memory.buffer.byteLength >= fullBytes) {
    fs.writeSync(2, message + '\\n');
    process.kill(process.pid, 'SIGKILL');
  }
}, 1000);
`;

let beats: Int32Array | undefined;

/** Called as every wasm kernel ends, however it ends. */
export function kernelFinished(): void {
  if (beats) Atomics.add(beats, 0, 1);
}

/**
 * In the threaded build an exhausted heap does not fail: the worker threads are left waiting and
 * the main thread spins for ever. A watcher thread ends such a process with the one-line
 * out-of-memory message when, for far longer than any kernel takes, no kernel has finished and
 * the event loop has not turned, with the heap at its cap.
 */
export function startHeapWatchdog(memory: WebAssembly.Memory, message: string): void {
  if (beats || !(memory.buffer instanceof SharedArrayBuffer)) return;
  // [kernels finished, event-loop turns]
  beats = new Int32Array(new SharedArrayBuffer(8));
  const loop = beats;
  setInterval(() => Atomics.add(loop, 1, 1), 1000).unref();
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { memory, beats, stallMs: STALL_SECONDS * 1000, fullBytes: FULL_BYTES, message },
  });
  worker.unref();
}
