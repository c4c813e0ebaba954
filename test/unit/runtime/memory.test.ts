import { TimError } from '../../../src/core/errors';
import {
  estimateTrainingBytes,
  isOutOfMemory,
  OutOfMemoryError,
  outOfMemoryMessage,
  rethrowIfOutOfMemory,
  suggestMicroBatch,
  WASM_HEAP_LIMIT_BYTES,
} from '../../../src/runtime/memory';

describe('memory planning', () => {
  it('suggests a micro-batch whose estimated step fits the wasm heap with headroom', () => {
    for (const arch of ['resnet50', 'efficientnet_b0', 'convnext_tiny']) {
      const micro = suggestMicroBatch(arch, 224, 'wasm');
      expect(micro).toBeGreaterThanOrEqual(1);
      const bytes = estimateTrainingBytes(arch, 224, micro as number) as number;
      expect(bytes).toBeLessThanOrEqual(WASM_HEAP_LIMIT_BYTES * 0.6);
      // It is the largest such micro-batch: one more image leaves the planned share of the heap.
      expect(estimateTrainingBytes(arch, 224, (micro as number) + 1)).toBeGreaterThan(WASM_HEAP_LIMIT_BYTES * 0.6);
    }
  });

  it('takes larger micro-batches for smaller images and gives none where there is no cap', () => {
    const at224 = suggestMicroBatch('efficientnet_b0', 224, 'wasm') as number;
    const at128 = suggestMicroBatch('efficientnet_b0', 128, 'wasm') as number;
    expect(at128).toBeGreaterThan(at224);
    expect(suggestMicroBatch('efficientnet_b0', 224, 'cpu')).toBeUndefined();
    expect(suggestMicroBatch('no_such_arch', 224, 'wasm')).toBeUndefined();
  });

  it('recognises heap exhaustion and says what to lower', () => {
    expect(isOutOfMemory(new WebAssembly.RuntimeError('memory access out of bounds'))).toBe(true);
    expect(isOutOfMemory(new Error('Cannot enlarge memory arrays to size 4294967296 bytes'))).toBe(true);
    expect(isOutOfMemory(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemory(new Error('shapes [2,3] and [4] do not match'))).toBe(false);
    const msg = outOfMemoryMessage({ arch: 'resnet50', imageSize: 224, microBatch: 16 });
    expect(msg).toMatch(/^wasm heap exhausted .*resnet50.*; lower train\.micro_batch or data\.image_size$/);
    expect(() => rethrowIfOutOfMemory(new WebAssembly.RuntimeError('memory access out of bounds'), { arch: 'resnet50' })).toThrow(OutOfMemoryError);
    const other = new Error('unrelated');
    expect(() => rethrowIfOutOfMemory(other)).toThrow(other);
    expect(new OutOfMemoryError('x')).toBeInstanceOf(TimError);
  });
});
