import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { encodeOnnx } from '../../../src/export/onnx';
import { loadPretrained, readSafetensors } from '../../../src/models';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { onnxLogits } from '../../support/onnx-runtime';
import { relativeError } from '../../support/relative-error';
import { ensureModelFixtures } from '../models/fixtures';

/**
 * The three backbones with torchvision's random weights (non-trivial BatchNorm statistics and
 * layer scales), exported to ONNX: onnxruntime's logits equal Tim's and torchvision's.
 */
jest.setTimeout(900_000);

let dir = '';
beforeAll(async () => {
  dir = ensureModelFixtures();
  await tf.setBackend(loadWasmForTraining() ? 'wasm' : 'cpu');
});

describe('ONNX export of the backbones', () => {
  it.each(['resnet50', 'efficientnet_b0', 'convnext_tiny'])('%s in onnxruntime gives Tim’s and torchvision’s logits', async (arch) => {
    const io = readSafetensors(fs.readFileSync(path.join(dir, `${arch}_io.safetensors`)), 'io');
    const input = io.get('input');
    const torchLogits = io.get('logits');
    if (!input || !torchLogits) throw new Error(`${arch}_io.safetensors lacks input or logits`);
    const tm = await loadPretrained(arch, path.join(dir, `${arch}.safetensors`));
    const x = tf.tensor4d(input.data, input.shape as [number, number, number, number]);
    const timLogits = tf.tidy(() => (tm.model.predict(x) as tf.Tensor).dataSync());
    const [got] = (await onnxLogits(await encodeOnnx(tm.model, arch), [{ data: Float32Array.from(input.data), shape: input.shape }])) as [Float32Array];
    expect(got).toHaveLength(torchLogits.data.length);
    expect(relativeError(got, timLogits)).toBeLessThan(1e-4);
    expect(relativeError(got, torchLogits.data)).toBeLessThan(1e-4);
    x.dispose();
    tm.model.dispose();
  });
});
