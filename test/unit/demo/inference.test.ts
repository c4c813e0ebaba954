import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { explainInference } from '../../../src/demo/inference';
import { tmpDir } from '../../support/tmp';
import { makeDataset, makeRun } from '../evaluate/run-fixture';

jest.setTimeout(60_000);

describe('demo inference', () => {
  it('keeps no upload, removes those of killed demos, and serves the new model once its run folder is replaced', async () => {
    await tf.setBackend('cpu');
    const t = tmpDir();
    try {
      const split = await makeDataset(path.join(t.dir, 'data'), 1);
      const dir = path.join(t.dir, 'runs', 'r');
      await makeRun(dir, split, { resize: 'letterbox' });
      const png = await sharp({ create: { width: 20, height: 12, channels: 3, background: '#a05030' } }).png().toBuffer();
      const uploadsRoot = path.join(t.dir, 'tmp');
      fs.mkdirSync(uploadsRoot);
      // Left by a demo that was killed (its pid has exited), and by one still running.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      fs.mkdirSync(path.join(uploadsRoot, `tim-demo-${dead.stdout}-abc`));
      fs.writeFileSync(path.join(uploadsRoot, `tim-demo-${dead.stdout}-abc`, 'upload-0'), 'a painting');
      fs.mkdirSync(path.join(uploadsRoot, `tim-demo-${process.ppid}-xyz`));
      const inference = explainInference({ uploadsRoot });
      const folders = fs.readdirSync(uploadsRoot).sort();
      expect(folders).toHaveLength(2);
      expect(folders).toContain(`tim-demo-${process.ppid}-xyz`);
      const own = folders.find((f) => f.startsWith(`tim-demo-${process.pid}-`)) as string;
      expect(own).toBeDefined();
      const first = await inference.explain(dir, png);
      expect(first.top.map((g) => g.label).sort()).toEqual([...split.classes].sort());
      expect(fs.readdirSync(path.join(uploadsRoot, own))).toEqual([]);

      // Replaced by another run with other classes, as `train --force` does.
      fs.rmSync(dir, { recursive: true });
      await makeRun(dir, { ...split, classes: ['Xenia', 'Yves', 'Zora'] }, { resize: 'letterbox', seed: 9 });
      const second = await inference.explain(dir, png);
      expect(second.top.map((g) => g.label).sort()).toEqual(['Xenia', 'Yves', 'Zora']);
    } finally {
      t.cleanup();
    }
  });
});
