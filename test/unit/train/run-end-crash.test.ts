import * as fs from 'fs';
import * as path from 'path';
import { writeTexturedPng } from '../../support/textured-png';
import { parseConfig } from '../../../src/config/load';
import type { TimConfig } from '../../../src/config/schema';
import { historyFile, RunFolder, summaryFile } from '../../../src/io/run-folder';
import { readLoopState } from '../../../src/train/checkpoint';
import { train } from '../../../src/train/train';
import { tmpDir } from '../../support/tmp';

/**
 * The states a kill at the very end of training can leave (the last last/ or best/ half swapped,
 * summary.json not yet in place), built from a real run's files: each recovers, through
 * `train --resume`, to a completed run with its summary.json.
 */
jest.setTimeout(120_000);

const config = (root: string): TimConfig =>
  parseConfig({
    name: 'end',
    seed: 5,
    data: { root, image_size: 16, val_fraction: 0.5, cache: false },
    model: { arch: 'tiny_cnn' },
    train: { epochs: 2, batch_size: 4, lr_groups: { early: 1e-3, middle: 1e-3, head: 1e-2 } },
    runtime: { backend: 'cpu' },
  });

/** A swap sibling as atomic.ts names it: `.<name>.<stage>-<pid>-<time>-<sequence>`. */
const sibling = (run: string, name: string, stage: 'tmp' | 'new' | 'old'): string => path.join(run, `.${name}.${stage}-1-a-0`);

describe('a run killed while its last files are put in place', () => {
  const work = tmpDir();
  const root = path.join(work.dir, 'images');
  const finished = path.join(work.dir, 'finished');
  const lastAfterEpoch1 = path.join(work.dir, 'last-epoch-1');
  beforeAll(async () => {
    for (const [k, name] of ['alpha', 'beta'].entries()) {
      fs.mkdirSync(path.join(root, name), { recursive: true });
      for (let i = 0; i < 4; i++) await writeTexturedPng(path.join(root, name, `${i}.png`), 60 + 120 * k + 10 * i, `${name}-${i}`);
    }
    let polls = 0;
    // Stopped after epoch 1 (the poll at its end), to keep last/ as it was then; then finished.
    await train(config(root), { out: finished, liveProgress: false, shouldStop: () => ++polls === 3 });
    fs.cpSync(path.join(finished, 'last'), lastAfterEpoch1, { recursive: true });
    expect(readLoopState(lastAfterEpoch1)).toMatchObject({ epoch: 1, finished: false });
    await train(config(root), { resume: finished, liveProgress: false });
    expect(readLoopState(path.join(finished, 'last')).finished).toBe(true);
  });
  afterAll(() => work.cleanup());

  let n = 0;
  const crashed = (make: (run: string) => void): string => {
    const run = path.join(work.dir, `crash-${n++}`);
    fs.cpSync(finished, run, { recursive: true });
    fs.rmSync(path.join(run, 'summary.json'));
    make(run);
    return run;
  };

  it.each([
    ['before summary.json was renamed into place', (run: string) => fs.writeFileSync(sibling(run, 'summary.json', 'tmp'), '{"run_dir": "half')],
    ['between moving the old last/ aside and the new one in', (run: string) => {
      fs.renameSync(path.join(run, 'last'), sibling(run, 'last', 'new'));
      fs.cpSync(lastAfterEpoch1, sibling(run, 'last', 'old'), { recursive: true });
    }],
    ['while the final last/ was still being written', (run: string) => {
      fs.renameSync(path.join(run, 'last'), sibling(run, 'last', 'tmp'));
      fs.cpSync(lastAfterEpoch1, path.join(run, 'last'), { recursive: true });
    }],
    ['between moving the old best/ aside and the new one in', (run: string) => {
      fs.renameSync(path.join(run, 'best'), sibling(run, 'best', 'new'));
    }],
  ])('killed %s: resume completes the run and writes summary.json', async (_when, make) => {
    const run = crashed(make);
    await train(config(root), { resume: run, liveProgress: false });
    const folder = new RunFolder(run);
    const summary = folder.read(summaryFile);
    expect(summary).toMatchObject({ stopped_epoch: 2, interrupted: false, epochs_planned: 2 });
    expect(folder.readLines(historyFile).map((h) => h.epoch)).toEqual([1, 2]);
    expect(fs.readdirSync(run).filter((f) => f.startsWith('.') && f !== '.tim-run.json')).toEqual([]);
    expect(fs.existsSync(path.join(run, 'best', 'model.json'))).toBe(true);
    await expect(train(config(root), { resume: run, liveProgress: false })).rejects.toThrow(/has finished \(epoch 2\); nothing to resume/);
  });
});
