export * from './types';
export { train, type TrainOptions } from './train';
export { fit, withStepRandom, type FitOptions, type FitOutcome, type ValMetrics } from './loop';
export { balancedClassWeights, perSampleCrossEntropy, sampleWeights, weightedLossSum, type LossOptions } from './loss';
export { trainedGroups, type GroupVariables } from './groups';
export { GroupOptimizers } from './optimizers';
export { scheduleFactor, updateEarlyStopping, updatePlateau, initialEarlyStopping, initialPlateau, type EarlyStoppingState, type PlateauState } from './schedule';
export { CHECKPOINT_FILES, readLoopState, type LoopState } from './checkpoint';
