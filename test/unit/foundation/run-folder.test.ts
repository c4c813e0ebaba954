import * as fs from 'fs';
import * as path from 'path';
import { configToYaml, parseConfig } from '../../../src/config/load';
import { createRunFolder, latestRun, openRunFolder } from '../../../src/io/run-folder';
import { tmpDir } from '../../support/tmp';
import { z } from 'zod';

describe('run folders', () => {
  it('never overwrites an existing run without force', () => {
    const t = tmpDir();
    try {
      const dir = path.join(t.dir, 'run');
      const run = createRunFolder(dir);
      run.writeJson('labels', ['a', 'b']);
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
      run.appendJsonLine('history', { epoch: 1 });
      run.appendJsonLine('history', { epoch: 2 });
      const epochLine = z.looseObject({ epoch: z.number() });
      expect(run.readJsonLines('history', epochLine)).toEqual([{ epoch: 1 }, { epoch: 2 }]);
      run.appendJsonLine('history', { epoch: 'three' });
      expect(() => run.readJsonLines('history', epochLine)).toThrow(`${run.file('history')} line 3: key 'epoch': expected number, got 'three' (text)`);
      expect(() => run.readJson('metrics', z.unknown())).toThrow(/metrics\.json: missing/);
      run.writeJson('labels', ['a', 3]);
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
