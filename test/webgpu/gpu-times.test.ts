import * as tf from '@tensorflow/tfjs';
import { runModelBench } from '../../bench/model-bench';
import { releaseWebGpu } from '../../src/runtime/webgpu/backend';
import { webgpuBackendOf } from '@tim/tfjs-training';

jest.setTimeout(600_000);

afterAll(() => {
  releaseWebGpu();
});

/**
 * `tim bench train --backend webgpu --profile`: the GPU time of every kernel from timestamp
 * queries (SwiftShader has them), Tim's programs included, charged to the kernels that ran them.
 */
describe('GPU time per kernel on webgpu', () => {
  it("times tfjs's programs and Tim's, by kernel, and leaves the backend as it was", async () => {
    const r = await runModelBench({ mode: 'train', arch: 'tiny_cnn', imageSize: 32, batch: 4, steps: 1, warmup: 1, backend: 'webgpu', profile: true });
    const kernels = r.kernels ?? [];
    const byName = new Map(kernels.map((k) => [k.kernel, k]));
    // Tim's: the in-place Adam and the fused BatchNorm; tfjs's: the forward convolution.
    for (const name of ['TimAdamInPlace', 'TimBatchNormTraining', 'TimBatchNormTrainingGrad', 'Conv2DBackpropFilter', 'FusedConv2D']) {
      expect(byName.get(name)?.calls).toBeGreaterThan(0);
      expect(byName.get(name)?.ms).toBeGreaterThan(0);
    }
    expect(byName.has('(outside a kernel)')).toBe(false);
    for (let i = 1; i < kernels.length; i++) expect((kernels[i] as { ms: number }).ms).toBeLessThanOrEqual((kernels[i - 1] as { ms: number }).ms);
    expect(webgpuBackendOf(tf.backend()).activeTimers ?? null).toBeNull();
  });
});
