import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeDataset } from '../../../src/data';
import { tmpDir } from '../../support/tmp';

const BIN = path.resolve(__dirname, '../../../bin/tim.js');

describe('tim quickstart', () => {
  it('trains and evaluates end to end, leaving a complete run folder', async () => {
    const t = tmpDir();
    try {
      const data = path.join(t.dir, 'synth');
      await synthesizeDataset(data, { seed: 3, scale: 0.25 });
      const out = path.join(t.dir, 'run');
      const r = spawnSync(
        process.execPath,
        [BIN, 'quickstart', '--data', data, '--out', out, '--backend', 'wasm', '--set', 'train.epochs=1', '--set', 'data.image_size=32', '--set', 'train.max_batches_per_epoch=2'],
        { encoding: 'utf8', env: { ...process.env, CI: '1' } },
      );
      expect(r.stderr).not.toMatch(/^tim: /m);
      expect(r.status).toBe(0);
      for (const f of ['config.yaml', 'labels.json', 'split.json', 'history.jsonl', 'summary.json', 'best', 'last', 'metrics.json', 'predictions.csv', 'confusion.csv']) {
        expect(fs.existsSync(path.join(out, f))).toBe(true);
      }
      const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { accuracy: number; split: string };
      expect(metrics.split).toBe('val');
      expect(r.stdout).toContain('accuracy');
      // The calibration it measured: ECE before and after temperature scaling, saved for predict.
      expect(r.stdout).toMatch(/ECE +before \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] +after \d\.\d{3} \[/);
      expect(fs.existsSync(path.join(out, 'calibration.json'))).toBe(true);
      // The split was made with the near-duplicate check, and says so.
      expect(JSON.parse(fs.readFileSync(path.join(out, 'split.json'), 'utf8'))).toHaveProperty('near_duplicates.method', 'dct-phash-64');
      // A second quick start replaces its own run folder rather than refusing.
      const again = spawnSync(process.execPath, [BIN, 'quickstart', '--data', data, '--out', out, '--backend', 'wasm', '--set', 'train.epochs=1', '--set', 'data.image_size=32', '--set', 'train.max_batches_per_epoch=1'], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
      expect(again.status).toBe(0);
    } finally {
      t.cleanup();
    }
  }, 240_000);
});
