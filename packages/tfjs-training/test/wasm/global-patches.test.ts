import { guardWasmAllocations, redirectWorkerBlob, reportCpusFor } from '../../src/wasm/global-patches';

// The module object itself, which the patch changes (an import namespace is a copy).
const os = require('os') as typeof import('os');

describe('the global patches of the threaded wasm backend', () => {
  const createObjectURL = Reflect.get(URL, 'createObjectURL') as unknown;
  afterEach(() => {
    // The tests put back what the patch, in a real process, leaves for good.
    Reflect.set(URL, 'createObjectURL', createObjectURL);
  });

  it('URL.createObjectURL: only a Blob of the worker script’s size becomes the file; any other gets its blob: URL', () => {
    redirectWorkerBlob(7, '/tmp/tim-wasm-x/worker.js');
    expect(URL.createObjectURL(new Blob(['7 bytes']))).toBe('/tmp/tim-wasm-x/worker.js');
    for (const body of ['', 'six by', 'eight by', 'a'.repeat(4096)]) {
      const url = URL.createObjectURL(new Blob([body]));
      expect(url).toMatch(/^blob:/);
      URL.revokeObjectURL(url);
    }
  });

  it('os.cpus: reports twice the threads until put back, then is the original again', () => {
    const original = Reflect.get(os, 'cpus') as unknown;
    const real = os.cpus();
    const restore = reportCpusFor(real.length + 3);
    const widened = os.cpus();
    expect(widened).toHaveLength(2 * (real.length + 3));
    // Each entry is one of the real CPUs, so anything reading models or speeds sees real ones.
    for (const cpu of widened) expect(real.map((c) => c.model)).toContain(cpu.model);
    restore();
    expect(Reflect.get(os, 'cpus')).toBe(original);
    expect(os.cpus()).toHaveLength(real.length);
  });

  it('_malloc: every allocation that succeeds returns what it did before, a failed one throws, and a second guard adds nothing', () => {
    const calls: number[] = [];
    const module = { _malloc: (bytes: number): number => (calls.push(bytes), bytes > 1000 ? 0 : 64 + bytes) };
    const backend = { wasm: module };
    guardWasmAllocations(backend, 'heap exhausted');
    guardWasmAllocations(backend, 'heap exhausted');
    expect(module._malloc(16)).toBe(80);
    expect(module._malloc(0)).toBe(64);
    expect(() => module._malloc(4096)).toThrow(/Could not allocate 4096 bytes on the wasm heap/);
    // One underlying call per allocation: the second guard did not wrap the first.
    expect(calls).toEqual([16, 0, 4096]);
  });

  it('_malloc: a backend without a wasm module is left alone', () => {
    expect(() => guardWasmAllocations({}, 'heap exhausted')).not.toThrow();
    expect(() => guardWasmAllocations(undefined, 'heap exhausted')).not.toThrow();
  });
});
