import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { TimError } from '../../../src/core/errors';
import { setLogLevel } from '../../../src/core/log';
import { parseCsv } from '../../../src/io/csv';
import { readRunData, intervalOf } from '../../../src/experiments/run-data';
import { parseShard, selectShard, shardFromEnv } from '../../../src/experiments/shard';
import type { RunSteps } from '../../../src/experiments/steps';
import { planSweep, runSweep } from '../../../src/experiments/sweep';
import { expandSweep, loadSweepSpec, parseSweepSpec, withOverrides } from '../../../src/experiments/sweep-spec';
import { writeSweepSummary } from '../../../src/experiments/summary';
import { tmpDir } from '../../support/tmp';
import { writeFakeEvaluation, writeFakeTraining } from '../../support/fake-runs';

beforeAll(() => setLogLevel('quiet'));
afterAll(() => setLogLevel('info'));

const SWEEPS = path.resolve(__dirname, '../../../configs/sweeps');

/** Steps that write fake run files and record what they were asked to do. */
function fakeSteps(calls: string[], failOn?: string): RunSteps {
  return {
    train: async (config, opts) => {
      calls.push(`train ${path.basename(opts.out)}${opts.resume ? ' resume' : ''}`);
      if (config.name === failOn) throw new TimError('out of memory');
      writeFakeTraining(opts.out, config, { epochs: 3 });
    },
    evaluate: async (runDir) => {
      calls.push(`evaluate ${path.basename(runDir)}`);
      writeFakeEvaluation(runDir);
    },
  };
}

function writeSweep(dir: string, body: Record<string, unknown>): string {
  const file = path.join(dir, 'sweep.yaml');
  fs.writeFileSync(file, YAML.stringify(body));
  return file;
}

const GRID_2x2 = { base: 'quickstart.yaml', fixed: { 'train.epochs': 2 }, grid: { 'data.resize': ['letterbox', 'stretch'], 'train.batch_size': [32, 48] } };

describe('sweep files', () => {
  it('expands the grid into validated configs named after their values', () => {
    const t = tmpDir();
    try {
      const runs = expandSweep(loadSweepSpec(writeSweep(t.dir, GRID_2x2)));
      expect(runs.map((r) => r.name)).toEqual([
        'resize-letterbox_batch_size-32',
        'resize-letterbox_batch_size-48',
        'resize-stretch_batch_size-32',
        'resize-stretch_batch_size-48',
      ]);
      const r = runs[3]!;
      expect(r.config.data.resize).toBe('stretch');
      expect(r.config.train.batch_size).toBe(48);
      expect(r.config.train.epochs).toBe(2);
      expect(r.config.model.arch).toBe('tiny_cnn');
      expect(r.values).toEqual({ 'data.resize': 'stretch', 'train.batch_size': 48 });
    } finally {
      t.cleanup();
    }
  });

  it('names an unknown grid key in a one-line error', () => {
    const t = tmpDir();
    try {
      const file = writeSweep(t.dir, { base: 'quickstart.yaml', grid: { 'train.batch_sise': [32] } });
      expect(() => loadSweepSpec(file)).toThrow(TimError);
      expect(() => loadSweepSpec(file)).toThrow(/unknown key 'train\.batch_sise'; did you mean 'train\.batch_size'/);
      try {
        loadSweepSpec(file);
      } catch (e) {
        expect((e as Error).message).not.toMatch(/\n/);
      }
      expect(() => parseSweepSpec({ base: 'quickstart.yaml', grid: { 'data.resize': ['letterbox', 'squash'] } }, file)).toThrow(/data\.resize/);
      expect(() => parseSweepSpec({ base: 'quickstart.yaml' }, file)).toThrow(/'grid'/);
      expect(() => parseSweepSpec({ base: 'no_such_config', grid: { seed: [1] } }, file)).toThrow(/no_such_config/);
    } finally {
      t.cleanup();
    }
  });

  it('uses longer key tails where the last segments clash', () => {
    const t = tmpDir();
    try {
      const spec = parseSweepSpec({ base: 'quickstart.yaml', grid: { 'train.lr_groups.head': [0.001], 'train.lr_groups.early': [0.0001], 'train.early_stopping.patience': [2], 'train.reduce_lr_on_plateau.patience': [1] } }, path.join(t.dir, 's.yaml'));
      expect(spec.grid.map((a) => a.label)).toEqual(['head', 'early', 'early_stopping.patience', 'reduce_lr_on_plateau.patience']);
      expect(expandSweep(spec)[0]!.config.train.reduce_lr_on_plateau?.patience).toBe(1);
    } finally {
      t.cleanup();
    }
  });

  it('--set overrides a key in every run as fixed: does, and refuses the keys the sweep varies', () => {
    const t = tmpDir();
    try {
      const listed = { base: 'quickstart.yaml', fixed: { 'train.epochs': 2 }, runs: [{ name: 'plain' }, { name: 'ema', set: { 'train.ema.decay': 0.99 } }], grid: { 'data.resize': ['letterbox', 'stretch'] } };
      const spec = loadSweepSpec(writeSweep(t.dir, listed));
      const sets = ['train.epochs=3', 'train.max_batches_per_epoch=2', 'data.root=/elsewhere/data'];
      const overridden = expandSweep(withOverrides(spec, sets));
      // The same sweep with those keys written into its fixed: (the file's train.epochs replaced).
      const written = expandSweep(parseSweepSpec({ ...listed, fixed: { 'train.epochs': 3, 'train.max_batches_per_epoch': 2, 'data.root': '/elsewhere/data' } }, spec.file));
      expect(overridden).toEqual(written);
      expect(overridden.map((r) => [r.config.train.epochs, r.config.train.max_batches_per_epoch, r.config.data.root])).toEqual(overridden.map(() => [3, 2, '/elsewhere/data']));
      expect(withOverrides(spec, [])).toBe(spec);

      const refused: [string, RegExp][] = [
        ['data.resize=stretch', /--set 'data\.resize=stretch': sweep\.yaml varies data\.resize \(grid\); --set may change only what every run shares/],
        ['train.ema.decay=0.5', /varies train\.ema\.decay \(runs: ema\)/],
        // A key around one the sweep varies would replace it too.
        ['train.ema=false', /varies train\.ema\.decay \(runs: ema\)/],
        ['train.epochs=[1, 2]', /expected a single value/],
        ['train.epoch=3', /train\.epoch/],
      ];
      for (const [assignment, message] of refused) {
        expect(() => withOverrides(spec, [assignment])).toThrow(TimError);
        expect(() => withOverrides(spec, [assignment])).toThrow(message);
        try {
          withOverrides(spec, [assignment]);
        } catch (e) {
          expect((e as Error).message).not.toMatch(/\n/);
        }
      }
    } finally {
      t.cleanup();
    }
  });

  it('ships sweeps that validate', () => {
    const files = fs.readdirSync(SWEEPS).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['padding_batch.yaml', 'tiny.yaml']));
    for (const f of files) expect(expandSweep(loadSweepSpec(path.join(SWEEPS, f))).length).toBeGreaterThan(1);
    const pb = expandSweep(loadSweepSpec(path.join(SWEEPS, 'padding_batch.yaml')));
    expect(pb.map((r) => [r.config.model.arch, r.config.data.resize, r.config.train.batch_size])).toEqual([
      ['efficientnet_b0', 'letterbox', 32],
      ['efficientnet_b0', 'letterbox', 48],
      ['efficientnet_b0', 'stretch', 32],
      ['efficientnet_b0', 'stretch', 48],
    ]);
  });
});

describe('shards', () => {
  it('are disjoint and cover the list for every count', () => {
    const items = Array.from({ length: 7 }, (_, i) => i);
    for (let n = 1; n <= 9; n++) {
      const parts = Array.from({ length: n }, (_, i) => selectShard(items, { index: i, count: n }));
      expect(parts.flat()).toEqual(items);
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('parse i/n with a 0-based index and reject the rest', () => {
    expect(parseShard('1/2')).toEqual({ index: 1, count: 2 });
    expect(() => parseShard('2/2')).toThrow(/0-based/);
    expect(() => parseShard('1-2')).toThrow(/i\/n/);
    expect(() => parseShard('0/0')).toThrow(/at least 1/);
  });

  it('come from job-array variables', () => {
    expect(shardFromEnv({})).toBeUndefined();
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0' })).toEqual({ index: 3, count: 4 });
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' })).toEqual({ index: 3, count: 4 });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '2' }, 3)).toEqual({ index: 2, count: 3 });
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '2' })).toThrow(/--shards/);
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '3' }, 3)).toThrow(/out of range/);
    expect(() => shardFromEnv({}, 3)).toThrow(/no job-array index/);
  });

  it('refuses job-array variables that would run another shard or the whole sweep', () => {
    // An id below the array's first: no negative shard running someone else's slice.
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' })).toThrow(/SLURM_ARRAY_TASK_ID=0 .*gives shard index -1; indices are 0-based, 0 to 3/);
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: 'abc', SLURM_ARRAY_TASK_COUNT: '4' })).toThrow(/SLURM_ARRAY_TASK_ID='abc': expected a whole number/);
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: 'x' })).toThrow(/SLURM_ARRAY_TASK_MIN='x'/);
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '-1' }, 3)).toThrow(/JOB_COMPLETION_INDEX='-1': expected a whole number/);
    // --array=0-6:2 numbers its four tasks 0, 2, 4, 6.
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_STEP: '2' })).toEqual({ index: 3, count: 4 });
  });
});

describe('running a sweep', () => {
  it('a 2x2 sweep over two shards yields four runs and one summary', async () => {
    const t = tmpDir();
    try {
      const spec = loadSweepSpec(writeSweep(t.dir, GRID_2x2));
      const out = path.join(t.dir, 'out');
      const calls: string[] = [];
      const first = await runSweep(spec, { out, shard: { index: 0, count: 2 }, steps: fakeSteps(calls) });
      expect(first.ran).toHaveLength(2);
      expect(parseCsv(fs.readFileSync(path.join(out, 'summary.csv'), 'utf8'))).toHaveLength(3);
      const second = await runSweep(spec, { out, shard: { index: 1, count: 2 }, steps: fakeSteps(calls) });
      expect(second.ran).toHaveLength(2);
      expect(new Set([...first.ran, ...second.ran]).size).toBe(4);
      expect(calls.filter((c) => c.startsWith('train'))).toHaveLength(4);

      const dirs = fs.readdirSync(out, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
      // One folder per run, and the shards' completion markers.
      expect(dirs).toEqual([...expandSweep(spec).map((r) => r.name), 'shards']);
      const rows = parseCsv(fs.readFileSync(path.join(out, 'summary.csv'), 'utf8'));
      const header = rows[0]!;
      expect(rows).toHaveLength(5);
      expect(header.slice(0, 3)).toEqual(['run', 'data.resize', 'train.batch_size']);
      expect(header).toEqual(expect.arrayContaining(['accuracy', 'accuracy_lo', 'accuracy_hi', 'f1_macro', 'f1_macro_lo', 'f1_macro_hi']));
      for (const row of rows.slice(1)) {
        const run = readRunData(path.join(out, row[0]!));
        const acc = Number(row[header.indexOf('accuracy')]);
        expect(acc).toBeCloseTo(run.metrics!.accuracy, 12);
        expect(Number(row[header.indexOf('accuracy_lo')])).toBeCloseTo(intervalOf(run.metrics, 'accuracy')!.lo, 12);
        expect(row[1]).toBe(run.config!.data.resize);
        expect(Number(row[2])).toBe(run.config!.train.batch_size);
      }
      const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
      expect(md).toMatch(/4 of 4 runs finished/);
      for (const r of expandSweep(spec)) expect(md).toContain(`| ${r.name} |`);
      expect(md).toMatch(/\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]/);
      // Paired comparisons of the runs one setting apart (four of the six pairs), Holm-corrected.
      const pairs = parseCsv(fs.readFileSync(path.join(out, 'pairs.csv'), 'utf8'));
      expect(pairs.slice(1).map((r) => `${r[1]} − ${r[0]}`)).toEqual([
        'resize-letterbox_batch_size-48 − resize-letterbox_batch_size-32',
        'resize-stretch_batch_size-32 − resize-letterbox_batch_size-32',
        'resize-stretch_batch_size-48 − resize-letterbox_batch_size-48',
        'resize-stretch_batch_size-48 − resize-stretch_batch_size-32',
      ]);
      expect(pairs.slice(1).every((r) => r[2] === 'yes' && r[pairs[0]!.indexOf('correction')] === 'holm')).toBe(true);
      expect(md).toContain('## Paired comparisons');
      expect(md).toMatch(/- resize-stretch_batch_size-32 − resize-letterbox_batch_size-32: [+−]?\d+\.\d points \[.*\], p [=<] .*\(Holm, 4 comparisons\)/);
    } finally {
      t.cleanup();
    }
  });

  it('resumes: finished runs are skipped, trained ones only evaluated, interrupted ones resumed', async () => {
    const t = tmpDir();
    try {
      const spec = loadSweepSpec(writeSweep(t.dir, GRID_2x2));
      const out = path.join(t.dir, 'out');
      const [a, b, c] = planSweep(spec, { out }).planned;
      writeFakeTraining(a!.dir, a!.config);
      writeFakeEvaluation(a!.dir);
      writeFakeTraining(b!.dir, b!.config);
      fs.mkdirSync(path.join(c!.dir, 'last'), { recursive: true });
      fs.writeFileSync(path.join(c!.dir, 'last', 'model.json'), '{}');
      expect(planSweep(spec, { out }).planned.map((r) => r.status)).toEqual(['finished', 'trained', 'interrupted', 'pending']);
      const calls: string[] = [];
      const result = await runSweep(spec, { out, steps: fakeSteps(calls) });
      expect(result.skipped).toEqual([a!.name]);
      expect(calls).toEqual([`evaluate ${b!.name}`, `train ${c!.name} resume`, `evaluate ${c!.name}`, `train resize-stretch_batch_size-48`, 'evaluate resize-stretch_batch_size-48']);
      const again: string[] = [];
      await runSweep(spec, { out, steps: fakeSteps(again) });
      expect(again).toEqual([]);
    } finally {
      t.cleanup();
    }
  });

  it('goes on past a failed run, summarises the rest and reports the failure', async () => {
    const t = tmpDir();
    try {
      const spec = loadSweepSpec(writeSweep(t.dir, GRID_2x2));
      const out = path.join(t.dir, 'out');
      const result = await runSweep(spec, { out, steps: fakeSteps([], 'resize-letterbox_batch_size-48') });
      expect(result.failed).toEqual([{ name: 'resize-letterbox_batch_size-48', error: 'out of memory' }]);
      expect(result.ran).toHaveLength(3);
      expect(writeSweepSummary(out).finished).toBe(3);
    } finally {
      t.cleanup();
    }
  });
});
