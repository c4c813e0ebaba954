import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../../src/models';
import { longReduction, pointwiseInfo } from '../../../packages/tfjs-training/src/webgpu/batch-matmul';
import { type ConvGradientKernel, convGradientPrograms } from '../../../packages/tfjs-training/src/webgpu/conv-gradients';
import { GRID_MAX, launchedGrid } from '../../../packages/tfjs-training/src/webgpu/run-program';
import { SLICE_MAX } from '../../../packages/tfjs-training/src/webgpu/split-plan';
import { GEMM_SLICE_MAX, GEMM_WORKGROUP } from '../../../packages/tfjs-training/src/webgpu/tiled-gemm';

/**
 * The work of one invocation in the WebGPU convolution gradients, from the program objects
 * themselves (no GPU needed: grids and loop lengths depend on the shapes only), for every
 * convolution of the three backbones at 224 px, batch 32: no invocation sums more than 16,384
 * products one after another (tfjs's Conv2DBackpropFilter sums up to 401,408), and every grid
 * fits WebGPU's 65,535 workgroups per dimension, so none of them falls back to a stock kernel.
 */
const BATCH = 32;
const SIZE = 224;
const SERIAL_MAX = 16_384;

interface ConvLayer {
  name: string;
  depthwise: boolean;
  inShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
}

function convLayers(arch: string): ConvLayer[] {
  const tm = createModel(arch, { numClasses: 10, inputSize: SIZE, initialize: false });
  try {
    return tm.model.layers.flatMap((layer): ConvLayer[] => {
      const kind = layer.getClassName();
      if (kind !== 'Conv2D' && kind !== 'DepthwiseConv2D') return [];
      const config = layer.getConfig() as { kernelSize: [number, number]; strides: [number, number]; padding: 'same' | 'valid'; filters?: number };
      const [, h, w, c] = (layer.input as tf.SymbolicTensor).shape as [null, number, number, number];
      const depthwise = kind === 'DepthwiseConv2D';
      const [kh, kw] = config.kernelSize;
      return [{ name: layer.name, depthwise, inShape: [BATCH, h, w, c], filterShape: [kh, kw, c, depthwise ? 1 : (config.filters as number)], strides: config.strides, padding: config.padding }];
    });
  } finally {
    tm.model.dispose();
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['resnet50', 'efficientnet_b0', 'convnext_tiny'])('%s at 224 px, batch 32', (arch) => {
  it('runs every convolution gradient on Tim’s programs, none summing more than 16,384 products serially', () => {
    const layers = convLayers(arch);
    expect(layers.length).toBeGreaterThan(arch === 'convnext_tiny' ? 20 : 50);
    const problems: string[] = [];
    let worstFilter = 0;
    for (const layer of layers) {
      const info = tf.backend_util.computeConv2DInfo(layer.inShape, layer.filterShape, layer.strides, 1, layer.padding, undefined, layer.depthwise, 'channelsLast');
      const kernels: ConvGradientKernel[] = layer.depthwise
        ? ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']
        : ['Conv2DBackpropFilter', 'Conv2DBackpropInput'];
      for (const kernel of kernels) {
        const programs = convGradientPrograms(kernel, info);
        if (programs.length === 0) problems.push(`${layer.name} ${kernel}: falls back to the stock kernel`);
        for (const p of programs) {
          if (p.serialMultiplyAdds > SERIAL_MAX) problems.push(`${layer.name} ${kernel} ${p.shaderKey}: ${p.serialMultiplyAdds} serial products`);
          const grid = launchedGrid(p);
          if (Math.max(...grid) > GRID_MAX) problems.push(`${layer.name} ${kernel} ${p.shaderKey}: grid ${grid.join('×')}`);
        }
        // A tiled product's invocation keeps 16 sums, each over the slice: 16,384 products at most.
        const tiled = programs[0]?.workgroupSize.join('x') === GEMM_WORKGROUP.join('x');
        if (tiled && (programs[0]?.serialMultiplyAdds ?? 0) > GEMM_SLICE_MAX) problems.push(`${layer.name} ${kernel}: a tiled slice of ${programs[0]?.serialMultiplyAdds}`);
        if (kernel.endsWith('Filter')) worstFilter = Math.max(worstFilter, ...programs.map((p) => p.serialMultiplyAdds));
      }
    }
    expect(problems).toEqual([]);
    // The stem's filter gradient reduces over 32·112·112 positions (56·56 for ConvNeXt's 4×4/4 stem).
    expect(worstFilter).toBeLessThanOrEqual(SLICE_MAX);
  });
});

describe("convnext_tiny's dense layers at 224 px, batch 32", () => {
  it('take their weight gradient (aᵀ·b over every pixel) on the split-K product, none summing more than 16,384 products serially', () => {
    const tm = createModel('convnext_tiny', { numClasses: 10, inputSize: SIZE, initialize: false });
    const dense = tm.model.layers.filter((layer) => layer.getClassName() === 'Dense' && (layer.input as tf.SymbolicTensor).shape.length === 4);
    const shapes = dense.map((layer) => {
      const [, h, w, c] = (layer.input as tf.SymbolicTensor).shape as [null, number, number, number];
      return { name: layer.name, k: BATCH * h * w, m: c, n: (layer.getConfig() as { units: number }).units };
    });
    tm.model.dispose();
    // Two per block: 3 + 3 + 9 + 3 blocks.
    expect(shapes.length).toBe(36);
    const problems: string[] = [];
    for (const { name, k, m, n } of shapes) {
      const a = { dataId: {}, dtype: 'float32' as const, shape: [1, k, m] };
      const b = { dataId: {}, dtype: 'float32' as const, shape: [1, k, n] };
      if (!longReduction(a, b, { transposeA: true, transposeB: false })) problems.push(`${name}: not taken`);
      const programs = convGradientPrograms('Conv2DBackpropFilter', pointwiseInfo(k, m, n));
      if (programs.length === 0) problems.push(`${name}: no programs`);
      for (const p of programs) {
        if (p.serialMultiplyAdds > GEMM_SLICE_MAX) problems.push(`${name} ${p.shaderKey}: ${p.serialMultiplyAdds} serial products`);
        if (Math.max(...launchedGrid(p)) > GRID_MAX) problems.push(`${name} ${p.shaderKey}: grid too large`);
      }
    }
    expect(problems).toEqual([]);
  });
});
