/**
 * A bound on the memory tfjs-backend-webgpu's buffer pool holds. The pool keeps every released
 * buffer for a later request of exactly the same size and never frees one, so a training step,
 * whose tensors come in hundreds of sizes, ends up holding far more than it uses at any moment
 * (1.6× on EfficientNet-B0). Here, before the pool creates a buffer, it frees idle buffers of
 * other sizes, largest first, until what it holds is within `ratio` × what is in use.
 * Destroying an idle buffer is safe while submitted work that used it is still running: WebGPU
 * frees it after that work.
 */

interface PooledBuffer {
  size: number;
  destroy(): void;
}

interface BufferPool {
  freeBuffers: Map<string, PooledBuffer[]>;
  numFreeBuffers: number;
  numBytesUsed: number;
  numBytesAllocated: number;
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): PooledBuffer;
}

function isBufferPool(pool: unknown): pool is BufferPool {
  if (typeof pool !== 'object' || pool === null) return false;
  return Reflect.get(pool, 'freeBuffers') instanceof Map && typeof Reflect.get(pool, 'acquireBuffer') === 'function' && typeof Reflect.get(pool, 'numBytesAllocated') === 'number';
}

/** Frees idle buffers, largest first, until the pool holds at most `limit` bytes (or nothing idle is left). */
function freeIdle(pool: BufferPool, limit: number): void {
  if (pool.numBytesAllocated <= limit) return;
  const idle = [...pool.freeBuffers.values()].flatMap((list) => list.map((buffer) => ({ list, buffer }))).sort((a, b) => b.buffer.size - a.buffer.size);
  for (const { list, buffer } of idle) {
    if (pool.numBytesAllocated <= limit) return;
    list.splice(list.indexOf(buffer), 1);
    pool.numFreeBuffers--;
    pool.numBytesAllocated -= buffer.size;
    buffer.destroy();
  }
}

/**
 * Caps the pool of `backend` (a WebGPUBackend) at `ratio` × the bytes in use; returns whether it
 * could (a tfjs-backend-webgpu without this pool is left alone).
 */
export function capBufferPool(backend: object, ratio: number): boolean {
  const pool: unknown = Reflect.get(backend, 'bufferManager');
  if (!isBufferPool(pool)) return false;
  const acquire = pool.acquireBuffer.bind(pool);
  pool.acquireBuffer = (size, usage, mappedAtCreation = false, reuse = true) => {
    const idleOfSize = (pool.freeBuffers.get(`${size}_${usage}`)?.length ?? 0) > 0;
    if (!(reuse && idleOfSize)) freeIdle(pool, ratio * (pool.numBytesUsed + size) - size);
    return acquire(size, usage, mappedAtCreation, reuse);
  };
  return true;
}
