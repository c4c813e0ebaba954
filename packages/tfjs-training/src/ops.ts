/**
 * The part of @tim/tfjs-training a model needs to run, in Node or a browser: the fused ops
 * (which run Tim's kernel where the backend has it and stock tfjs ops where not), their kernel
 * names, the checked accessors of tfjs internals and the errors. Installs nothing.
 */
export { TrainingError, oneLine } from './errors';
export { timKernelAvailable } from './kernel-registry';
export { adamState, batchNormState, nodeBackendUsesGpu, stockActivationClass, stockLayerClass, type AdamSlot, type AdamState } from './tfjs-internals';
export { AccumulatedBetas, ADAM, ADAM_IN_PLACE, adamInPlace, adamUpdate, biasCorrections } from './fused/adam';
export { batchNormTraining, BN_TRAINING } from './fused/batch-norm';
export { fusedGelu, GELU } from './fused/gelu';
export { layerNorm, LN } from './fused/layer-norm';
export { SIGMOID, timSigmoid } from './fused/sigmoid';
export { fusedSilu, SILU } from './fused/silu';
