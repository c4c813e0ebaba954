import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeTexturedPng } from '../../support/textured-png';
import { parseConfig } from '../../../src/config/load';
import type { TimConfig } from '../../../src/config/schema';
import { log } from '../../../src/core/log';
import { historyFile, RunFolder } from '../../../src/io/run-folder';
import { acquireRunLock, lockFileOf } from '../../../src/io/run-lock';
import { scratchRatesWarning, train } from '../../../src/train/train';
import { tmpDir } from '../../support/tmp';
import { folderSnapshot } from '../../support/folder-snapshot';

jest.setTimeout(180_000);

async function writeImages(root: string): Promise<void> {
  for (const [k, name] of ['alpha', 'beta'].entries()) {
    fs.mkdirSync(path.join(root, name), { recursive: true });
    for (let i = 0; i < 4; i++) {
      await writeTexturedPng(path.join(root, name, `${name}_${i}.png`), 60 + 120 * k + 10 * i, `${name}-${i}`);
    }
  }
}

function raw(root: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'safety',
    seed: 3,
    data: { root, image_size: 16, val_fraction: 0.5, cache: false },
    model: { arch: 'tiny_cnn' },
    train: { epochs: 1, batch_size: 4, lr_groups: { early: 1e-3, middle: 1e-3, head: 1e-2 } },
    runtime: { backend: 'cpu' },
    ...over,
  };
}

const config = (root: string, over: Record<string, unknown> = {}): TimConfig => parseConfig(raw(root, over));

describe('train(): nothing a user has is lost', () => {
  const work = tmpDir();
  const root = path.join(work.dir, 'images');
  const out = path.join(work.dir, 'runs', 'safety');
  let original: Record<string, string>;
  beforeAll(async () => {
    await writeImages(root);
    await train(config(root), { out, liveProgress: false });
    original = folderSnapshot(out);
  });
  afterAll(() => work.cleanup());

  const siblings = (): string[] => fs.readdirSync(path.dirname(out)).filter((n) => n !== 'safety');

  it.each([
    ['an unknown architecture', { model: { arch: 'resnet5O' } }, {}, /unknown architecture 'resnet5O'/],
    ['a mistyped pretrained file', { model: { arch: 'tiny_cnn', pretrained: 'weights/nope.pth' } }, {}, /model\.pretrained: weight file 'weights\/nope\.pth' not found/],
    ['all learning rates 0', { train: { epochs: 1, batch_size: 4, lr_groups: { early: 0, middle: 0, head: 0 } } }, {}, /nothing to train/],
    ['a missing data root', { data: { root: '/nonexistent/data', image_size: 16 } }, {}, /data root '\/nonexistent\/data' does not exist/],
    ['an unavailable backend', { runtime: { backend: 'gpu' } }, {}, /backend 'gpu' is unavailable/],
    ['head-only epochs and a frozen backbone', { model: { arch: 'tiny_cnn', freeze_backbone: true }, train: { epochs: 3, batch_size: 4, freeze_epochs: 1 } }, {}, /train\.freeze_epochs is 1, but model\.freeze_backbone is true: the backbone never unfreezes/],
    ['as many head-only epochs as epochs', { train: { epochs: 2, batch_size: 4, freeze_epochs: 2 } }, {}, /train\.freeze_epochs is 2, expected fewer than train\.epochs \(2\)/],
    ['head-only epochs and a head that does not train', { train: { epochs: 2, batch_size: 4, freeze_epochs: 1, lr_groups: { early: 1e-3, middle: 1e-3, head: 0 } } }, {}, /train\.freeze_epochs is 1, but train\.lr_groups\.head is 0/],
  ])('--force with %s fails and leaves the old run as it was', async (_what, over, _opts, message) => {
    await expect(train(config(root, over), { out, force: true, liveProgress: false })).rejects.toThrow(message);
    expect(folderSnapshot(out)).toEqual(original);
    expect(siblings()).toEqual([]);
  });

  it('--force that fails in the first epoch, before any checkpoint, leaves the old run as it was', async () => {
    const failing = { evaluate: (): never => { throw new Error('validation failed'); } };
    await expect(train(config(root), { out, force: true, liveProgress: false, ...failing })).rejects.toThrow(/validation failed/);
    expect(folderSnapshot(out)).toEqual(original);
    expect(siblings()).toEqual([]);
  });

  it('an unknown architecture on a new run leaves no run folder', async () => {
    const fresh = path.join(work.dir, 'fresh', 'r');
    await expect(train(config(root, { model: { arch: 'nope' } }), { out: fresh, liveProgress: false })).rejects.toThrow(/unknown architecture/);
    expect(fs.existsSync(path.join(work.dir, 'fresh'))).toBe(false);
  });

  it('--force replaces only Tim runs, and names cannot point at the checkpoints root', async () => {
    const thesis = path.join(work.dir, 'thesis');
    fs.mkdirSync(thesis);
    fs.writeFileSync(path.join(thesis, 'chapter1.tex'), 'my thesis');
    await expect(train(config(root), { out: thesis, force: true, liveProgress: false })).rejects.toThrow(/not a Tim run folder \(it holds chapter1\.tex, but no \.tim-run\.json nor config\.yaml \+ labels\.json \+ split\.json written by Tim\); --force replaces only Tim runs/);
    expect(fs.readdirSync(thesis)).toEqual(['chapter1.tex']);
    // Names alone do not make a run: a config.yaml, or look-alike labels.json and split.json, are a user's.
    fs.writeFileSync(path.join(thesis, 'config.yaml'), 'name: thesis\n');
    await expect(train(config(root), { out: thesis, force: true, liveProgress: false })).rejects.toThrow(/not a Tim run folder \(it holds chapter1\.tex, config\.yaml, but no/);
    fs.writeFileSync(path.join(thesis, 'labels.json'), '[]');
    fs.writeFileSync(path.join(thesis, 'split.json'), '{"chapters": 3}');
    const mine = folderSnapshot(thesis);
    await expect(train(config(root), { out: thesis, force: true, liveProgress: false })).rejects.toThrow(/not a Tim run folder/);
    expect(folderSnapshot(thesis)).toEqual(mine);
    // A Tim run is replaced only while it holds nothing but what Tim wrote.
    fs.writeFileSync(path.join(out, 'my-notes.txt'), 'keep me');
    await expect(train(config(root), { out, force: true, liveProgress: false })).rejects.toThrow(/a Tim run that also holds files Tim did not write \(my-notes\.txt\); --force would delete them/);
    fs.rmSync(path.join(out, 'my-notes.txt'));
    expect(folderSnapshot(out)).toEqual(original);
    for (const name of ['.', '..', '.hidden', 'a/b', '../up']) {
      expect(() => parseConfig(raw(root, { name }))).toThrow(/key 'name'/);
    }
  });

  it('--force still replaces a run written before the run marker, known by its config.yaml, labels.json and split.json', async () => {
    fs.rmSync(path.join(out, '.tim-run.json'));
    await train(config(root), { out, force: true, liveProgress: false });
    expect(fs.existsSync(path.join(out, '.tim-run.json'))).toBe(true);
    original = folderSnapshot(out);
  });

  it('a run folder has one writer; a lock left by a dead process is taken over', async () => {
    const held = acquireRunLock(out);
    try {
      await expect(train(config(root), { resume: out })).rejects.toThrow(/in use by another Tim process \(pid \d+ on /);
      await expect(train(config(root), { out, force: true })).rejects.toThrow(/in use by another Tim process/);
    } finally {
      held.release();
    }
    expect(folderSnapshot(out)).toEqual(original);

    // Two trainings at once on one folder: exactly one runs.
    const both = await Promise.allSettled([
      train(config(root), { out, force: true, liveProgress: false }),
      train(config(root), { out, force: true, liveProgress: false }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = both.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(String(rejected?.reason)).toMatch(/in use by another Tim process/);
    expect(new RunFolder(out).readLines(historyFile).map((h) => h.epoch)).toEqual([1]);

    // A crashed process's lock: its pid no longer runs.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(lockFileOf(out), JSON.stringify({ pid: Number(dead.stdout), hostname: os.hostname(), started: new Date().toISOString() }));
    await train(config(root), { out, force: true, liveProgress: false });
    expect(fs.existsSync(lockFileOf(out))).toBe(false);
    original = folderSnapshot(out);
  });
});

describe('a damaged run on resume', () => {
  it('names the file that is damaged', async () => {
    const work = tmpDir();
    try {
      const root = path.join(work.dir, 'images');
      await writeImages(root);
      const out = path.join(work.dir, 'r');
      let polls = 0;
      await train(config(root, { train: { epochs: 3, batch_size: 4, lr_groups: { early: 1e-3, middle: 1e-3, head: 1e-2 } } }), { out, liveProgress: false, shouldStop: () => ++polls === 2 });
      const history = path.join(out, 'history.jsonl');
      const good = fs.readFileSync(history, 'utf8');
      fs.writeFileSync(history, `${good}{"epoch": 2, "train_lo`);
      await expect(train(config(root), { resume: out })).rejects.toThrow(`${history} line 2: not valid JSON (`);
      fs.writeFileSync(history, good);
      const state = path.join(out, 'last', 'train_state.json');
      const goodState = fs.readFileSync(state, 'utf8');
      fs.writeFileSync(state, goodState.slice(0, 20));
      await expect(train(config(root), { resume: out })).rejects.toThrow(new RegExp(`^${state.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON \\(.*\\); the checkpoint is damaged`));
      // Valid JSON with a key of the wrong type is named too, not taken on trust.
      fs.writeFileSync(state, JSON.stringify({ ...(JSON.parse(goodState) as object), step_in_epoch: 'two' }));
      await expect(train(config(root), { resume: out })).rejects.toThrow(`${state}: key 'step_in_epoch': expected number, got 'two' (text); the checkpoint is damaged`);
    } finally {
      work.cleanup();
    }
  });
});

describe('training from scratch with fine-tuning rates', () => {
  it('warns and says what to set', async () => {
    const base = { name: 'w', data: { root: 'd' } };
    const warning = scratchRatesWarning(parseConfig({ ...base, model: { arch: 'resnet50', pretrained: 'none' } }));
    expect(warning).toMatch(/model\.pretrained is none.*train\.lr_groups\.early is 0\.000001 and train\.lr_groups\.middle is 0\.00001.*--set train\.lr_groups\.early=1e-3 --set train\.lr_groups\.middle=1e-3/);
    expect(scratchRatesWarning(parseConfig({ ...base, model: { arch: 'resnet50', pretrained: 'none', freeze_backbone: true } }))).toMatch(/only the head trains/);
    expect(scratchRatesWarning(parseConfig({ ...base, model: { arch: 'resnet50', pretrained: 'none' }, train: { lr_groups: { early: 1e-3, middle: 1e-3, head: 1e-3 } } }))).toBeUndefined();
    expect(scratchRatesWarning(parseConfig({ ...base, model: { arch: 'resnet50', pretrained: 'weights/r.pth' } }))).toBeUndefined();

    const work = tmpDir();
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    try {
      const root = path.join(work.dir, 'images');
      await writeImages(root);
      await train(config(root, { train: { epochs: 1, batch_size: 4 } }), { out: path.join(work.dir, 'r'), liveProgress: false });
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => /model\.pretrained is none/.test(m))).toHaveLength(1);
    } finally {
      warn.mockRestore();
      work.cleanup();
    }
  });
});

describe('training with the image cache', () => {
  it('warns once per broken file', async () => {
    const work = tmpDir();
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    try {
      const root = path.join(work.dir, 'images');
      await writeImages(root);
      fs.writeFileSync(path.join(root, 'alpha', 'broken.png'), 'not a picture');
      await train(config(root, { data: { root, image_size: 16, val_fraction: 0.5, cache: true, cache_dir: path.join(work.dir, 'cache') } }), { out: path.join(work.dir, 'r'), liveProgress: false });
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('broken.png'))).toEqual([`skipping ${path.join(root, 'alpha', 'broken.png')}: not an image`]);
    } finally {
      warn.mockRestore();
      work.cleanup();
    }
  });
});
