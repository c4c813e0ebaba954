import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { compareRuns, evaluateAndCompare } from '../../../src/evaluate/compare';
import { parseCsv } from '../../../src/io/csv';
import type { MetricsJson } from '../../../src/evaluate/evaluate-run';
import { tmpDir } from '../../support/tmp';
import { makeDataset, makeRun } from './run-fixture';

jest.setTimeout(120_000);

const BIN = path.resolve(__dirname, '../../../bin/tim.js');
const tim = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });

let tmp: ReturnType<typeof tmpDir>;
let runs: string[];

beforeAll(async () => {
  tmp = tmpDir();
  const split = await makeDataset(path.join(tmp.dir, 'data'), 3);
  runs = [path.join(tmp.dir, 'checkpoints', 'tiny_letterbox'), path.join(tmp.dir, 'checkpoints', 'tiny_stretch')];
  await makeRun(runs[0]!, split, { resize: 'letterbox', seed: 1 });
  await makeRun(runs[1]!, split, { resize: 'stretch', seed: 2 });
});
afterAll(() => tmp.cleanup());

test('comparison evaluates runs without metrics.json, then tabulates them with intervals', async () => {
  expect(() => compareRuns(runs)).toThrow(/metrics\.json: missing/);
  const before = tf.memory().numTensors;
  const cmp = await evaluateAndCompare(runs, { bootstrap: 50, seed: 1, progress: false });
  expect(tf.memory().numTensors).toBe(before);
  expect(cmp.rows.map((r) => [r.run, r.arch, r.resize, r.batch, r.best_epoch])).toEqual([
    ['tiny_letterbox', 'tiny_cnn', 'letterbox', 4, 3],
    ['tiny_stretch', 'tiny_cnn', 'stretch', 4, 3],
  ]);
  runs.forEach((dir, i) => {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as MetricsJson;
    const row = cmp.rows[i]!;
    expect(row.accuracy).toEqual({ value: m.accuracy, ...m.bootstrap.metrics.accuracy });
    expect(row.f1_macro.value).toBe(m.f1_macro);
    // The Markdown line shows the value with its interval.
    expect(cmp.markdown).toContain(`${m.accuracy.toFixed(3)} [${m.bootstrap.metrics.accuracy.lo.toFixed(3)}, ${m.bootstrap.metrics.accuracy.hi.toFixed(3)}]`);
  });
  // Both runs scored the same held-out images: one paired comparison, later run minus earlier.
  const pair = cmp.pairwise.pairs[0]!;
  expect(cmp.pairwise.pairs).toHaveLength(1);
  expect(pair.paired).toBe(true);
  if (pair.paired) {
    const m = runs.map((dir) => JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as MetricsJson);
    expect(pair.accuracy.diff).toBeCloseTo(m[1]!.accuracy - m[0]!.accuracy, 12);
    expect(pair.f1_macro.diff).toBeCloseTo(m[1]!.f1_macro - m[0]!.f1_macro, 12);
    expect(pair.images).toBe(m[0]!.num_samples);
  }
  expect(cmp.markdown).toContain('## Paired comparisons');
  expect(cmp.markdown).toContain(`- ${pair.sentence}`);
  expect(pair.sentence).toMatch(/^tiny_stretch − tiny_letterbox: /);
  const csv = parseCsv(cmp.csv);
  expect(csv[0]).toContain('accuracy_lo');
  expect(csv).toHaveLength(3);
  // Already evaluated runs are read, not evaluated again.
  const stamp = fs.statSync(path.join(runs[0]!, 'metrics.json')).mtimeMs;
  await evaluateAndCompare(runs, { bootstrap: 50, progress: false });
  expect(fs.statSync(path.join(runs[0]!, 'metrics.json')).mtimeMs).toBe(stamp);
});

test('tim evaluate: latest run by default, a summary on stdout, --runs writes the comparison', () => {
  const r = tim(tmp.dir, 'evaluate', '--bootstrap', '40', '--seed', '5', '--sample-fraction', '0.5', '--backend', 'cpu');
  expect(r.stderr).toMatch(/evaluating the latest run/);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/accuracy\s+\d+\.\d%\s+\[\d+\.\d%, \d+\.\d%\]/);
  const latest = runs[1]!; // created last, so its best/ is the newest
  const m = JSON.parse(fs.readFileSync(path.join(latest, 'metrics.json'), 'utf8')) as MetricsJson;
  expect(m.bootstrap.resamples).toBe(40);
  expect(m.bootstrap.sample_fraction).toBe(0.5);
  expect(m.bootstrap.sample_size).toBe(5); // round(0.5 × 9)

  const c = tim(tmp.dir, 'evaluate', '--runs', ...runs, '--backend', 'cpu');
  expect(c.status).toBe(0);
  expect(c.stdout).toMatch(/^\| run \| arch \| resize \| batch/);
  expect(fs.readFileSync(path.join(tmp.dir, 'checkpoints', 'comparison.md'), 'utf8')).toBe(c.stdout);
  expect(parseCsv(fs.readFileSync(path.join(tmp.dir, 'checkpoints', 'comparison.csv'), 'utf8'))).toHaveLength(3);
  const pairs = parseCsv(fs.readFileSync(path.join(tmp.dir, 'checkpoints', 'comparison-pairs.csv'), 'utf8'));
  expect(pairs.map((r) => r.slice(0, 3))).toEqual([['a', 'b', 'paired'], ['tiny_letterbox', 'tiny_stretch', 'yes']]);

  const bad = tim(tmp.dir, 'evaluate', '--run', path.join(tmp.dir, 'nope'));
  expect(bad.status).not.toBe(0);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  expect(bad.stderr).toMatch(/nope does not exist/);
});
