import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { EFFICIENTNET_B0, efficientnetSpec, readSafetensors, resnet50, type ArchSpec, type StateDict } from '../../../src/models';
import { BatchNormalization } from '../../../src/models/layers';
import { assignStateDict } from '../../../src/models/weights/assign';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { batchGradients } from '../../../src/train/step';
import { relativeError } from '../../support/relative-error';
import { ensureBatchNormStepFixtures } from './fixtures';

/**
 * One training step of ResNet-50 and EfficientNet-B0 at 64 px, batch 9, from the same seeded
 * weights and batch as PyTorch (scripts/models_torch_bn_step.py): every BatchNorm layer's running
 * mean and variance afterwards, on the wasm backend's fused kernels, against the exact statistics
 * (PyTorch's same forward pass in float64). Each must be within 1e-5 of them (relative to the
 * layer's largest value), or no further from them than PyTorch's own float32 step is, with a
 * quarter's margin: float32 rounding alone moves ResNet-50's `layer4.2.bn1` variance by 2.2e-5
 * in PyTorch (and Tim's plain cpu backend, without Winograd, is 2.4e-5 from it), so 1e-5 between
 * two float32 results is not reachable there. The biased variance was 2.8% off. The plain cpu
 * backend's kernels and the composed path are checked against PyTorch in the unit suite
 * (test/unit/models/batch-norm.test.ts); a full-size step on cpu takes too long for CI.
 * ConvNeXt-Tiny has no BatchNorm. The optimiser's update does not touch the statistics, so the
 * step is Tim's gradient pass.
 */
jest.setTimeout(1_800_000);

let dir = '';
beforeAll(() => {
  dir = ensureBatchNormStepFixtures();
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

// PyTorch's side runs without stochastic depth, whose random drops cannot be reproduced here.
const SPECS: Record<string, ArchSpec> = {
  resnet50,
  efficientnet_b0: efficientnetSpec('efficientnet_b0', { ...EFFICIENTNET_B0, stochasticDepth: 0 }),
};
const TOLERANCE = 1e-5;
/** How much further than PyTorch's float32 step a layer may be from the exact statistics. */
const FLOAT32_MARGIN = 1.25;

const read = (file: string): StateDict => readSafetensors(fs.readFileSync(path.join(dir, file)), file);

function tensorOf(f: StateDict, name: string): tf.Tensor {
  const t = f.get(name);
  if (!t) throw new Error(`fixture lacks ${name}`);
  return tf.tensor(t.data, t.shape);
}

describe.each(Object.keys(SPECS))('%s', (arch) => {
  it('BatchNorm running statistics after one training step on wasm are PyTorch’s', async () => {
    expect(loadWasmForTraining()).toBe(true);
    await tf.setBackend('wasm');
    const spec = SPECS[arch]!;
    const ref = read(`${arch}_bn_step.safetensors`);
    const x = tensorOf(ref, 'input') as tf.Tensor4D;
    const y = tf.cast(tensorOf(ref, 'labels'), 'int32') as tf.Tensor1D;
    const model = spec.build({ numClasses: 1000, inputSize: x.shape[1], initialize: false });
    assignStateDict(model, spec, read(`${arch}.safetensors`), `${arch}.safetensors`);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = batchGradients({ model, variables, training: true, loss: { numClasses: 1000 }, microBatch: x.shape[0] }, x, y);
    tf.dispose([x, y, ...Object.values(grads)]);
    const layers = model.layers.filter((l): l is BatchNormalization => l instanceof BatchNormalization);
    expect(layers.length).toBe(arch === 'resnet50' ? 53 : 49);
    const off: string[] = [];
    let worst = 0;
    let worstAgainstTorch = 0;
    for (const layer of layers) {
      const [, , mean, variance] = layer.getWeights().map((w) => w.dataSync());
      for (const [stat, got] of [['running_mean', mean!], ['running_var', variance!]] as const) {
        const key = `${layer.name}.${stat}`;
        const torch = ref.get(key);
        const exact = ref.get(`exact.${key}`);
        if (!torch || !exact) throw new Error(`PyTorch's fixture lacks ${key} or its exact value`);
        const err = relativeError(got, exact.data);
        const torchErr = relativeError(torch.data, exact.data);
        worst = Math.max(worst, err);
        worstAgainstTorch = Math.max(worstAgainstTorch, relativeError(got, torch.data));
        const allowed = Math.max(TOLERANCE, FLOAT32_MARGIN * torchErr);
        if (!(err <= allowed)) off.push(`${key}: ${err.toExponential(2)} from exact, PyTorch float32 ${torchErr.toExponential(2)}`);
      }
    }
    expect(off).toEqual([]);
    console.log(
      `${arch} on wasm: ${layers.length} BatchNorm layers, worst relative difference ${worst.toExponential(2)} from the exact statistics, ${worstAgainstTorch.toExponential(2)} from PyTorch's float32 step`,
    );
    model.dispose();
  });
});
