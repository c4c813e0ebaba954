/**
 * Suites: `unit` (npm test; Node only, kept under 10 minutes on 2 cores, may not start Python;
 * `unit-nosimd`, also run by npm test, repeats the kernel tests with TIM_WASM_SIMD=0),
 * `heavy` (full-size models and reference parity; Node and Debian's torch), `browser`
 * (Chromium), `webgpu` (tfjs's WebGPU backend through Dawn on any Vulkan driver; SwiftShader in
 * CI), `refs` (regenerates every golden with Debian's Python packages and compares) and `slurm`
 * (a sweep submitted as a job array to the one-node Slurm that scripts/slurm-local.sh starts).
 * CI runs them all.
 */
const transform = { '^.+\\.tsx?$': ['@swc/jest'] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/support/setup.ts'],
};
module.exports = {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/packages/*/test/**/*.test.ts'],
      // Tests of the JavaScript loops behind the SIMD kernels run in unit-nosimd only.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/packages/[^/]+/test/nosimd/'],
      setupFiles: [...common.setupFiles, '<rootDir>/test/support/no-python.ts'],
    },
    // The wasm and fused-kernel tests again, on the JavaScript loops the SIMD kernels replace.
    {
      ...common,
      displayName: 'unit-nosimd',
      testMatch: [
        '<rootDir>/packages/*/test/nosimd/**/*.test.ts',
        '<rootDir>/packages/tfjs-training/test/wasm/gradients.test.ts',
        '<rootDir>/test/unit/train/fused-adam.test.ts',
        '<rootDir>/test/unit/train/adamw.test.ts',
        '<rootDir>/test/unit/models/batch-norm.test.ts',
        '<rootDir>/test/unit/models/layer-norm.test.ts',
      ],
      setupFiles: [...common.setupFiles, '<rootDir>/test/support/no-python.ts', '<rootDir>/test/support/no-simd.ts'],
    },
    { ...common, displayName: 'heavy', testMatch: ['<rootDir>/test/heavy/**/*.test.ts'] },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
    // tfjs's WebGPU backend through Dawn, on whatever Vulkan driver Tim finds (SwiftShader in CI).
    { ...common, displayName: 'webgpu', testMatch: ['<rootDir>/test/webgpu/**/*.test.ts'], globalSetup: '<rootDir>/test/support/webgpu-global-setup.ts' },
    { ...common, displayName: 'refs', testMatch: ['<rootDir>/test/refs/**/*.test.ts'] },
    { ...common, displayName: 'slurm', testMatch: ['<rootDir>/test/slurm/**/*.test.ts'] },
  ],
};
