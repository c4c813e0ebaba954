import { buildConvNeXt, buildEfficientNet, convnextSpec, efficientnetSpec, registerArch, type ArchSpec } from '../../../src/models';

/** Miniature members of each family (same blocks and names, few channels) for fast tests. */
export const smallConvNeXt: ArchSpec = convnextSpec('test_convnext_small', {
  depths: [1, 1, 2, 1],
  dims: [8, 16, 24, 32],
  stochasticDepth: 0.1,
  layerScale: 0.5,
});

export const smallEfficientNet: ArchSpec = efficientnetSpec('test_efficientnet_small', {
  stemChannels: 8,
  stages: [
    { expand: 1, kernel: 3, stride: 1, out: 8, repeats: 1 },
    { expand: 2, kernel: 5, stride: 2, out: 12, repeats: 2 },
  ],
  headChannels: 16,
  dropout: 0.2,
  stochasticDepth: 0.2,
});

registerArch(smallConvNeXt);
registerArch(smallEfficientNet);

export { buildConvNeXt, buildEfficientNet };
