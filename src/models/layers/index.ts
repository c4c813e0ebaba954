/** Importing this module registers every custom layer class with tfjs's serialization. */
export { ChannelLayerNorm, type ChannelLayerNormArgs } from './channel-layer-norm';
export { LayerScale, type LayerScaleArgs } from './layer-scale';
export { StochasticDepth, type StochasticDepthArgs } from './stochastic-depth';
export { BatchNormalization, batchNormalization } from './batch-norm';
export { Gelu, gelu } from './gelu';
export { Swish } from './swish';
export { Sigmoid } from './sigmoid';
