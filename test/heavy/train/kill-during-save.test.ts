import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeTexturedPng } from '../../support/textured-png';
import { historyFile, openRunFolder, RUN_FILES, RunFolder } from '../../../src/io/run-folder';
import { loadTimModel } from '../../../src/models/persist';
import { readLoopState } from '../../../src/train/checkpoint';
import { train } from '../../../src/train/train';
import { tmpDir } from '../../support/tmp';
import { folderSnapshot } from '../../support/folder-snapshot';

/**
 * Kills a real process with SIGKILL at each rename(2) of a save in turn (Debian's strace:
 * `-e inject=...:signal=SIGKILL:when=N`), then checks that the next start finds a complete
 * run: the one that was there, or the new one with a checkpoint it can resume from.
 */
jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '..', '..', '..');
const RENAMES = 'rename,renameat,renameat2';

function traced(args: string[], inject: number | undefined, log?: string): SpawnSyncReturns<string> {
  const strace = ['-f', '-qq', '-o', log ?? '/dev/null'];
  strace.push('-e', inject === undefined ? `trace=${RENAMES}` : `inject=${RENAMES}:signal=SIGKILL:when=${inject}`);
  return spawnSync('strace', [...strace, process.execPath, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TIM_WASM_THREADS: '1' } });
}

function countRenames(args: string[], logFile: string): number {
  const r = traced(args, undefined, logFile);
  expect(r.status).toBe(0);
  return fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => /\brename(at2?)?\(.*= 0$/.test(l)).length;
}

/** Hidden names left behind (the run's own marker is not a leftover). */
const hidden = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.startsWith('.') && n !== RUN_FILES.marker);

describe('a save killed at any instant leaves a complete checkpoint', () => {
  const work = tmpDir();
  const images = path.join(work.dir, 'images');
  const configFile = path.join(work.dir, 'kill.yaml');
  beforeAll(async () => {
    expect(spawnSync('strace', ['-V']).status).toBe(0);
    for (const [k, name] of ['alpha', 'beta'].entries()) {
      fs.mkdirSync(path.join(images, name), { recursive: true });
      for (let i = 0; i < 4; i++) {
        await writeTexturedPng(path.join(images, name, `${i}.png`), 60 + 120 * k + 10 * i, `${name}-${i}`);
      }
    }
    fs.writeFileSync(
      configFile,
      [
        'name: kill',
        // Its own cache folder, which the first run fills: every later run makes the same renames.
        `data: { root: ${JSON.stringify(images)}, image_size: 16, val_fraction: 0.5, cache: false, cache_dir: ${JSON.stringify(path.join(work.dir, 'cache'))} }`,
        'model: { arch: tiny_cnn }',
        'train: { epochs: 2, batch_size: 4, lr_groups: { early: 1.0e-3, middle: 1.0e-3, head: 1.0e-2 } }',
        'runtime: { backend: cpu }',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => work.cleanup());

  it('train --force, killed at every rename, keeps the old run or leaves the new one resumable', async () => {
    const pristine = path.join(work.dir, 'pristine');
    const run = path.join(work.dir, 'runs', 'kill');
    const args = (out: string): string[] => ['bin/tim.js', 'train', '--config', configFile, '--out', out, '--force', '--quiet'];
    expect(spawnSync(process.execPath, ['bin/tim.js', 'train', '--config', configFile, '--out', pristine, '--quiet'], { cwd: ROOT }).status).toBe(0);
    const old = folderSnapshot(pristine);
    fs.cpSync(pristine, run, { recursive: true });
    const total = countRenames(args(run), path.join(work.dir, 'renames.log'));
    fs.rmSync(run, { recursive: true });
    fs.cpSync(pristine, run, { recursive: true });
    expect(countRenames(args(run), path.join(work.dir, 'renames.log'))).toBe(total);
    // config, labels, split; best/ and last/ in the staged run; its swap in; last/ again; summary.
    expect(total).toBeGreaterThanOrEqual(10);
    const outcomes = new Set<string>();
    for (let n = 1; n <= total; n++) {
      fs.rmSync(path.dirname(run), { recursive: true, force: true });
      fs.cpSync(pristine, run, { recursive: true });
      const r = traced(args(run), n);
      expect({ n, signal: r.signal ?? r.status }).toEqual({ n, signal: 'SIGKILL' });

      const folder = openRunFolder(run);
      expect({ n, leftovers: [...hidden(path.dirname(run)), ...hidden(run)] }).toEqual({ n, leftovers: [] });
      if (JSON.stringify(folderSnapshot(run)) === JSON.stringify(old)) {
        outcomes.add('old run kept');
        continue;
      }
      // The new run is in place: its checkpoints load, and it resumes to the end.
      const state = readLoopState(folder.file('last'));
      (await loadTimModel(folder.file('best'))).model.dispose();
      (await loadTimModel(folder.file('last'))).model.dispose();
      if (!state.finished) {
        await train(folder.config(), { resume: run, liveProgress: false });
        outcomes.add('new run resumed');
      } else {
        // Killed while the last files went in place (summary.json's rename is the last of all):
        // resume trains nothing and writes the summary.
        expect({ n, summary: folder.has('summary') }).toEqual({ n, summary: false });
        await train(folder.config(), { resume: run, liveProgress: false });
        outcomes.add('new run completed');
      }
      // Every instant ends in a completed run.
      expect({ n, summary: folder.has('summary') }).toEqual({ n, summary: true });
      expect(new RunFolder(run).readLines(historyFile).map((h) => h.epoch)).toEqual([1, 2]);
    }
    expect([...outcomes].sort()).toEqual(['new run completed', 'new run resumed', 'old run kept']);
  });

  it('a best/ save killed at every rename leaves a best/ that evaluate can load', async () => {
    const run = path.join(work.dir, 'best-run');
    const best = path.join(run, 'best');
    const script = ['-r', 'tsx/cjs', 'test/support/scripts/save-best.ts', best];
    fs.mkdirSync(run, { recursive: true });
    fs.copyFileSync(configFile, path.join(run, 'config.yaml'));
    expect(spawnSync(process.execPath, [...script, '1'], { cwd: ROOT }).status).toBe(0);
    const first = folderSnapshot(best);
    fs.cpSync(best, path.join(work.dir, 'best-first'), { recursive: true });
    const total = countRenames([...script, '2'], path.join(work.dir, 'best.log'));
    expect(total).toBe(3);
    const second = folderSnapshot(best);
    expect(second).not.toEqual(first);
    const seen: string[] = [];
    for (let n = 1; n <= total; n++) {
      fs.rmSync(best, { recursive: true });
      fs.cpSync(path.join(work.dir, 'best-first'), best, { recursive: true });
      expect(folderSnapshot(best)).toEqual(first);
      const r = traced([...script, '2'], n);
      expect({ n, signal: r.signal }).toEqual({ n, signal: 'SIGKILL' });
      openRunFolder(run);
      expect({ n, leftovers: hidden(run) }).toEqual({ n, leftovers: [] });
      const now = JSON.stringify(folderSnapshot(best));
      seen.push(now === JSON.stringify(first) ? 'old' : now === JSON.stringify(second) ? 'new' : 'broken');
      (await loadTimModel(best)).model.dispose();
    }
        // Killed before the new folder is complete: the old one; after: the new one.
    expect(seen).toEqual(['old', 'new', 'new']);
  });
});
