import * as path from 'node:path';
import { buildSync } from 'esbuild';

/** The entry bundled for a browser as a page would; esbuild throws on a Node built-in it reaches. */
function bundleForBrowser(entry: string): string[] {
  const result = buildSync({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', write: false, metafile: true, logLevel: 'silent' });
  return Object.keys(result.metafile.inputs);
}

describe('@tim/tfjs-training/ops', () => {
  it('is Node-free: it bundles for a browser, with the ops and none of the kernels', () => {
    const inputs = bundleForBrowser(path.join(__dirname, '..', 'ops.ts'));
    expect(inputs.some((f) => f.endsWith('src/fused/batch-norm.ts'))).toBe(true);
    expect(inputs.filter((f) => /src\/(wasm|cpu|webgpu)\/|-kernels\.ts$|enable-training/.test(f))).toEqual([]);
  });

  it('while the main entry, with enableTraining and the wasm threads, is not', () => {
    expect(() => bundleForBrowser(path.join(__dirname, '..', 'src', 'index.ts'))).toThrow(/node:/);
  });
});
