import * as fs from 'fs';
import * as path from 'path';
import { configToYaml, parseConfig } from '../../../../src/config/load';
import { createRunFolder, historyFile, labelsFile, latestRun, metricsFile, openRunFolder, type HistoryRecord } from '../../../../src/io/run-folder';
import { tmpDir } from '../../../support/tmp';

describe('run folders', () => {
  it('never overwrites an existing run without force', () => {
    const t = tmpDir();
    try {
      const dir = path.join(t.dir, 'run');
      const run = createRunFolder(dir);
      run.write(labelsFile, ['a', 'b']);
      expect(() => createRunFolder(dir)).toThrow(/already exists; use --force/);
      expect(run.labels()).toEqual(['a', 'b']);
    } finally {
      t.cleanup();
    }
  });

  it('reads back the config, JSON lines and reports missing files by name', () => {
    const t = tmpDir();
    try {
      const run = createRunFolder(path.join(t.dir, 'r'));
      const config = parseConfig({ name: 'r', data: { root: 'd', resize: 'stretch' }, model: { arch: 'tiny_cnn' } });
      run.writeText('config', configToYaml(config));
      expect(openRunFolder(run.dir).config()).toEqual(config);
      const line = (epoch: number): HistoryRecord => ({
        epoch,
        train_loss: 1,
        train_acc: 0.5,
        val_loss: 1,
        val_acc: 0.5,
        lr: { early: 0, middle: 0, head: 1e-3 },
        update_ratio: { early: 0, middle: 0, head: 0.1 },
        seconds: 1,
        images_per_sec: 8,
        num_tensors: 10,
        rss_mb: 100,
      });
      run.appendLine(historyFile, line(1));
      run.appendLine(historyFile, line(2));
      expect(run.readLines(historyFile)).toEqual([line(1), line(2)]);
      fs.appendFileSync(run.file('history'), `${JSON.stringify({ ...line(3), epoch: 'three' })}\n`);
      expect(() => run.readLines(historyFile)).toThrow(`${run.file('history')} line 3: key 'epoch': expected number, got 'three' (text)`);
      expect(run.readIfPresent(metricsFile)).toBeUndefined();
      expect(() => run.read(metricsFile)).toThrow(/metrics\.json: missing/);
      fs.writeFileSync(run.file('labels'), JSON.stringify(['a', 3]));
      expect(() => run.labels()).toThrow(new RegExp(`^${run.file('labels').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: key '1': expected string, got 3$`));
      expect(() => openRunFolder(path.join(t.dir, 'none'))).toThrow(/does not exist/);
    } finally {
      t.cleanup();
    }
  });

  it('finds the latest finished run', () => {
    const t = tmpDir();
    try {
      expect(() => latestRun(t.dir)).toThrow(/no finished runs/);
      for (const [name, ago] of [['old', 100], ['new', 10]] as const) {
        const best = path.join(t.dir, name, 'best');
        fs.mkdirSync(best, { recursive: true });
        const when = new Date(Date.now() - ago * 1000);
        fs.utimesSync(best, when, when);
      }
      fs.mkdirSync(path.join(t.dir, 'unfinished'));
      expect(path.basename(latestRun(t.dir).dir)).toBe('new');
    } finally {
      t.cleanup();
    }
  });
});
