import * as fs from 'fs';
import * as path from 'path';
import { readRunConfig } from '../../../src/config/load';
import type { GridValue } from '../../../src/experiments/sweep-spec';
import { loadSweepSpec } from '../../../src/experiments/sweep-spec';
import { isFinishedRun } from '../../../src/experiments/run-data';
import { parseCsv } from '../../../src/io/csv';
import { historyFile, RUN_FILES } from '../../../src/io/run-folder';
import { timOk } from '../../support/cli';
import { tmpDir } from '../../support/tmp';

/**
 * configs/sweeps/recipe_ablation.yaml end to end through the CLI, as a user runs it, on the
 * built-in synthetic artists: the shipped sweep file, shrunk with `tim sweep --set` to a few
 * steps per run, trains and evaluates every run, writes the summary with the paired
 * comparisons, and `tim report --sweep` turns it into the experiments page.
 */

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../../..');
const SWEEP_FILE = path.join(ROOT, 'configs', 'sweeps', 'recipe_ablation.yaml');
const EPOCHS = 3;

let t: ReturnType<typeof tmpDir>;
beforeAll(() => (t = tmpDir('tim-ablation-')));
afterAll(() => t.cleanup());

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every leaf of a config as dotted key → JSON text (lists are leaves). */
function leaves(node: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (!isTree(node)) return out.set(prefix, JSON.stringify(node));
  for (const [k, v] of Object.entries(node)) {
    if (v === undefined) continue;
    for (const [key, text] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(key, text);
  }
  return out;
}

/** The shortest prefix of `key` that `tree` lacks (a section a run turned on), else the key itself. */
function changedAt(tree: Tree, key: string): string {
  const parts = key.split('.');
  let node: unknown = tree;
  for (const [i, part] of parts.entries()) {
    if (!isTree(node) || node[part] === undefined) return parts.slice(0, i + 1).join('.');
    node = node[part];
  }
  return key;
}

function valueAt(tree: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (isTree(node) ? node[part] : undefined), tree);
}

test('the recipe ablation sweep trains, evaluates and compares every run of the shipped file on the built-in data', async () => {
  const data = path.join(t.dir, 'synthetic-artists');
  await timOk(['data', 'synth', '--out', data, '--scale', '0.2']);

  const out = path.join(t.dir, 'ablation');
  const sets = [`data.root=${data}`, 'data.image_size=32', 'data.cache=false', `train.epochs=${EPOCHS}`, 'train.max_batches_per_epoch=2', 'runtime.backend=cpu'];
  await timOk(['sweep', '--config', SWEEP_FILE, '--out', out, ...sets.flatMap((s) => ['--set', s])]);

  const listed = loadSweepSpec(SWEEP_FILE).runs ?? [];
  expect(listed.map((r) => r.name)).toContain('reference');
  const dirOf = (name: string): string => path.join(out, name);

  // Every run trained for the epochs --set asked for, and was evaluated.
  for (const r of listed) {
    expect({ run: r.name, finished: isFinishedRun(dirOf(r.name)) }).toEqual({ run: r.name, finished: true });
    expect({ run: r.name, epochs: historyFile.read(path.join(dirOf(r.name), historyFile.name)).length }).toEqual({ run: r.name, epochs: EPOCHS });
  }

  // Each run's config differs from the reference run's in exactly the keys its entry sets (a
  // section such as train.ema counts once, with the defaults it brings), with those values;
  // the --set keys are the same in all of them.
  const reference = readRunConfig(path.join(dirOf('reference'), RUN_FILES.config));
  expect([reference.data.root, reference.data.image_size, reference.train.epochs, reference.train.max_batches_per_epoch]).toEqual([data, 32, EPOCHS, 2]);
  const referenceLeaves = leaves({ ...reference, name: undefined });
  for (const r of listed) {
    const config = readRunConfig(path.join(dirOf(r.name), RUN_FILES.config));
    const runLeaves = leaves({ ...config, name: undefined });
    const differing = [...new Set([...runLeaves.keys(), ...referenceLeaves.keys()])].filter((k) => runLeaves.get(k) !== referenceLeaves.get(k));
    const changed = [...new Set(differing.map((k) => changedAt(reference, k)))].sort();
    const expected = [...new Set(Object.keys(r.set).map((k) => changedAt(reference, k)))].sort();
    expect({ run: r.name, changed }).toEqual({ run: r.name, changed: expected });
    for (const [key, value] of Object.entries<GridValue>(r.set)) {
      const actual = valueAt(config, key);
      // `key: true` turns a section on with its defaults (augment.random_resized_crop).
      if (value === true && isTree(actual)) continue;
      expect({ run: r.name, key, value: actual }).toEqual({ run: r.name, key, value });
    }
  }

  // The summary lists all the runs and compares every pair of them on the same held-out images.
  const summary = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
  expect(summary).toContain(`${listed.length} of ${listed.length} runs finished`);
  expect(summary).toContain('## Paired comparisons');
  const pairs = parseCsv(fs.readFileSync(path.join(out, 'pairs.csv'), 'utf8'));
  const header = pairs[0] ?? [];
  const rows = pairs.slice(1).filter((row) => row.length > 1);
  expect(rows).toHaveLength((listed.length * (listed.length - 1)) / 2);
  const names = new Set(listed.map((r) => r.name));
  for (const row of rows) {
    expect(names.has(row[header.indexOf('a')] ?? '')).toBe(true);
    expect(names.has(row[header.indexOf('b')] ?? '')).toBe(true);
    expect(row[header.indexOf('paired')]).toBe('yes');
  }

  // The experiments page, with its paired comparisons.
  const page = path.join(t.dir, 'ablation.html');
  await timOk(['report', '--sweep', out, '--out', page]);
  const html = fs.readFileSync(page, 'utf8');
  expect(html).toContain('<section class="card" id="pairs"><h2>Paired comparisons</h2>');
  for (const r of listed) expect(html).toContain(r.name);
});
