/**
 * Tim's public API. Importing it registers every custom layer class, so saved models load.
 */
export * from './core/errors';
export * from './config/schema';
export * from './config/load';
export * from './runtime/backend';
export * from './runtime/memory';
export {
  enableTraining,
  type EnabledTraining,
  type TrainingBackend,
  type TrainingOptions,
  registerGradientOnce,
  registeredKernels,
  registerKernels,
  restoreStockKernels,
  runStockKernel,
  stockKernel,
  wrapKernels,
  type KernelTable,
} from '@tim/tfjs-training';
export * from './io/model-io';
export * from './io/run-folder';
export * from './models';
export * from './evaluate';
export * from './data';
export * from './experiments';
export * from './demo';
export * from './explain';
export * from './inference';
export * from './train';
