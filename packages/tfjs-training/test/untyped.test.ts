import { fieldOf, methodOf } from '../src/untyped';
import { nodeBackendUsesGpu } from '../src/tfjs-internals';

describe('reading untyped objects', () => {
  it('fieldOf reads a field of an object and gives undefined for anything else', () => {
    expect(fieldOf({ wasm: 3 }, 'wasm')).toBe(3);
    expect(fieldOf({}, 'wasm')).toBeUndefined();
    for (const notObject of [undefined, null, 7, 'wasm', true]) expect(fieldOf(notObject, 'wasm')).toBeUndefined();
  });

  it('methodOf calls the method on its own object, and gives undefined where the field is not a function', () => {
    const pool = {
      size: 2,
      grow(by: unknown): number {
        this.size += Number(by);
        return this.size;
      },
    };
    const grow = methodOf(pool, 'grow');
    expect(grow?.(3)).toBe(5);
    expect(pool.size).toBe(5);
    expect(methodOf(pool, 'size')).toBeUndefined();
    expect(methodOf(undefined, 'grow')).toBeUndefined();
  });

  it("nodeBackendUsesGpu asks tfjs-node's binding, and says no where there is none", () => {
    const backend = (onGpu: boolean) => ({ binding: { onGpu, isUsingGpuDevice(this: { onGpu: boolean }) { return this.onGpu; } } });
    expect(nodeBackendUsesGpu(backend(true))).toBe(true);
    expect(nodeBackendUsesGpu(backend(false))).toBe(false);
    expect(nodeBackendUsesGpu({ binding: {} })).toBe(false);
    expect(nodeBackendUsesGpu(null)).toBe(false);
  });
});
