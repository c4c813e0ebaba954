import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { configToYaml, parseConfig } from '../../../src/config/load';
import { imageToInput, preprocessSpecOf } from '../../../src/data';
import { parseCsv } from '../../../src/io/csv';
import { evaluateRun } from '../../../src/evaluate/evaluate-run';
import { RUN_FILES } from '../../../src/io/run-folder';
import { createModel, loadTimModel, saveTimModel } from '../../../src/models';
import { tmpDir } from '../../support/tmp';
import { writeImage } from '../../unit/evaluate/run-fixture';

jest.setTimeout(600_000);

/**
 * A full-size backbone (EfficientNet-B0, custom layers, 64 px letterbox to keep CI short) through evaluateRun:
 * its probabilities are those of the model on the data module's `imageToInput`, the input
 * path training uses, and no tensor is left behind.
 */
test('EfficientNet-B0 run evaluates with the training input path and no tensor leak', async () => {
  const tmp = tmpDir();
  try {
    const root = path.join(tmp.dir, 'data');
    const classes = ['Claude Monet', 'Paul Klee'];
    const val = [];
    for (const [label, name] of classes.entries()) {
      for (let i = 0; i < 1; i++) {
        const rel = `${name}/v${i}.png`;
        await writeImage(path.join(root, rel), 300 + 40 * i, 200, label ? [40, 60, 200] : [220, 180, 40]);
        val.push({ path: rel, label });
      }
    }
    const runDir = path.join(tmp.dir, 'run');
    const config = parseConfig({ name: 'effnet', data: { root, image_size: 64, resize: 'letterbox' }, model: { arch: 'efficientnet_b0' }, train: { batch_size: 2 } });
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, RUN_FILES.config), configToYaml(config));
    fs.writeFileSync(path.join(runDir, RUN_FILES.labels), JSON.stringify(classes));
    fs.writeFileSync(path.join(runDir, RUN_FILES.split), JSON.stringify({ root, seed: 0, val_fraction: 0.5, classes, train: [], val }));
    const built = createModel('efficientnet_b0', { numClasses: 2, inputSize: 64, seed: 3 });
    await saveTimModel(built, path.join(runDir, RUN_FILES.best));
    built.model.dispose();

    const before = tf.memory().numTensors;
    const result = await evaluateRun(runDir, { bootstrap: 100, progress: false });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.metrics.num_samples).toBe(2);

    const tm = await loadTimModel(path.join(runDir, RUN_FILES.best));
    const spec = preprocessSpecOf(config);
    const rows = parseCsv(fs.readFileSync(path.join(runDir, RUN_FILES.predictions), 'utf8')).slice(1);
    for (const r of rows) {
      const { x } = await imageToInput(path.join(root, r[0]!), spec);
      const p = tf.tidy(() => tf.softmax(tm.model.predict(x) as tf.Tensor2D).dataSync());
      x.dispose();
      const top = Math.max(...p);
      expect(Number(r[3])).toBeCloseTo(top, 5);
      expect(r[2]).toBe(classes[p.indexOf(top)]);
    }
    tm.model.dispose();
  } finally {
    tmp.cleanup();
  }
});
