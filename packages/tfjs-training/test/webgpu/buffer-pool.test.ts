import fc from 'fast-check';
import { capBufferPool } from '../../src/webgpu/buffer-pool';

/**
 * A pool that behaves as tfjs-backend-webgpu 4.22's BufferManager: a released buffer waits in a
 * free list for a request of exactly its size and usage; nothing is ever freed.
 */
class Pool {
  freeBuffers = new Map<string, { size: number; destroyed: boolean; destroy(): void }[]>();
  usedCount = 0;
  numFreeBuffers = 0;
  numBytesUsed = 0;
  numBytesAllocated = 0;
  acquireBuffer(size: number, usage: number) {
    const key = `${size}_${usage}`;
    const free = this.freeBuffers.get(key) ?? [];
    this.freeBuffers.set(key, free);
    let buffer = free.pop();
    if (buffer) this.numFreeBuffers--;
    else {
      buffer = {
        size,
        destroyed: false,
        destroy() {
          this.destroyed = true;
        },
      };
      this.numBytesAllocated += size;
    }
    this.numBytesUsed += size;
    return buffer;
  }
  releaseBuffer(buffer: { size: number; destroyed: boolean; destroy(): void }, usage: number) {
    this.numBytesUsed -= buffer.size;
    this.freeBuffers.get(`${buffer.size}_${usage}`)?.push(buffer);
    this.numFreeBuffers++;
  }
}

const idleBytes = (p: Pool): number => [...p.freeBuffers.values()].flat().reduce((a, b) => a + b.size, 0);

describe('the capped WebGPU buffer pool', () => {
  it('holds at most 1.2× the bytes in use whenever it creates a buffer, and never frees one in use', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.boolean()), { minLength: 1, maxLength: 200 }), (ops) => {
        const pool = new Pool();
        expect(capBufferPool({ bufferManager: pool }, 1.2)).toBe(true);
        const live: ReturnType<Pool['acquireBuffer']>[] = [];
        for (const [size, release] of ops) {
          if (release && live.length > 0) pool.releaseBuffer(live.shift() as ReturnType<Pool['acquireBuffer']>, 1);
          else {
            const before = pool.numBytesAllocated;
            live.push(pool.acquireBuffer(size * 256, 1));
            // A new buffer was made: idle ones were freed first, down to the cap or to none.
            if (pool.numBytesAllocated > before) expect(pool.numBytesAllocated <= 1.2 * pool.numBytesUsed + 1e-9 || idleBytes(pool) === 0).toBe(true);
          }
          expect(live.every((b) => !b.destroyed)).toBe(true);
          expect(pool.numBytesAllocated).toBe(pool.numBytesUsed + idleBytes(pool));
        }
      }),
    );
  });

  it('leaves a backend without such a pool alone', () => {
    expect(capBufferPool({}, 1.2)).toBe(false);
  });
});
