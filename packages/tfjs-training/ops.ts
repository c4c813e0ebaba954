// The subpath entry `@tim/tfjs-training/ops`: see src/ops.ts.
export * from './src/ops';
