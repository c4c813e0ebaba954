import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '../../../src/config/load';
import { createRunFolder } from '../../../src/io/run-folder';
import { createModel, groupVariables } from '../../../src/models';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { enableTraining } from '@tim/tfjs-training';
import { trainedGroups } from '../../../src/train/groups';
import { fit } from '../../../src/train/loop';
import { Progress } from '../../../src/train/progress';
import { tmpDir } from '../../support/tmp';
import { memorySource, sameArray, weightValues } from '../../unit/train/helpers';

// Full-size backbones at 64 px: minutes, hence the heavy suite. The wasm backend (with Tim's
// gradient kernels) when it can train, else the plain cpu backend.
jest.setTimeout(1_800_000);

const SIZE = 64;
const CLASSES = 4;

beforeAll(async () => {
  const wasm = loadWasmForTraining();
  await tf.setBackend(wasm ? 'wasm' : 'cpu');
  enableTraining('cpu');
});

function trainConfig(lr: { early: number; middle: number; head: number }) {
  return parseConfig({ name: 'heavy', data: { root: 'unused', image_size: SIZE }, model: { arch: 'tiny_cnn' }, train: { epochs: 1, batch_size: 2, lr_groups: lr } }).train;
}

async function oneEpoch(arch: string, lr: { early: number; middle: number; head: number }, freeze: boolean) {
  const { dir, cleanup } = tmpDir();
  const tm = createModel(arch, { numClasses: CLASSES, inputSize: SIZE, seed: 3 });
  try {
    const train = trainConfig(lr);
    const before = weightValues(tm);
    const out = await fit({
      tm,
      train,
      groups: trainedGroups(groupVariables(tm, 'early'), { freezeBackbone: freeze, lrGroups: lr }),
      freezeBackbone: freeze,
      trainSource: memorySource({ n: 4, classes: CLASSES, size: SIZE, batchSize: 2, seed: 1 }),
      evaluate: () => ({ val_loss: 1, val_acc: 0.5 }),
      numClasses: CLASSES,
      microBatch: 2,
      run: createRunFolder(dir),
      progress: new Progress(false),
    });
    return { tm, before, after: weightValues(tm), record: out.history[0] };
  } finally {
    cleanup();
  }
}

describe.each(['resnet50', 'efficientnet_b0', 'convnext_tiny'])('%s', (arch) => {
  it('baseline: only the head moves; BatchNorm statistics and backbone weights stay bit-identical', async () => {
    const { tm, before, after } = await oneEpoch(arch, { early: 1e-3, middle: 1e-3, head: 1e-3 }, true);
    let moved = 0;
    for (const [name, v] of before) {
      const isHead = tm.spec.groupOfLayer(name.split('/')[0] ?? '') === 'head';
      const same = sameArray(v, after.get(name));
      if (!isHead) expect({ name, same }).toEqual({ name, same: true });
      else if (!same) moved++;
    }
    expect(moved).toBeGreaterThan(0);
    tm.model.dispose();
  });

  it('fine-tuning: each group moves at the rate of its learning rate', async () => {
    const { tm, record } = await oneEpoch(arch, { early: 1e-6, middle: 1e-5, head: 1e-3 }, false);
    const r = record?.update_ratio;
    expect(r?.early).toBeGreaterThan(0);
    expect(r?.middle).toBeGreaterThan(r?.early as number);
    expect(r?.head).toBeGreaterThan(r?.middle as number);
    tm.model.dispose();
  });
});
