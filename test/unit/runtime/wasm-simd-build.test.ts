import * as path from 'node:path';
import { PLAIN_HEAP_MODULE, SHARED_HEAP_MODULE } from '../../../src/runtime/wasm/simd/kernels-binary';

// The committed binaries are what kernels.wat compiles to.
const build = require(path.join(__dirname, '..', '..', '..', 'scripts', 'build-wasm-simd.js')) as {
  compile(): Promise<{ plain: string; shared: string }>;
};

describe('wasm SIMD kernels', () => {
  it('binaries are in step with kernels.wat (npm run build:simd regenerates them)', async () => {
    const fresh = await build.compile();
    expect(fresh.plain).toBe(PLAIN_HEAP_MODULE);
    expect(fresh.shared).toBe(SHARED_HEAP_MODULE);
  });

  it('validate in this engine', () => {
    for (const b64 of [PLAIN_HEAP_MODULE, SHARED_HEAP_MODULE]) expect(WebAssembly.validate(Buffer.from(b64, 'base64'))).toBe(true);
  });
});
