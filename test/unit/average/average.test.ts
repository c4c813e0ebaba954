import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { averageRuns } from '../../../src/average/runs';
import { readFolderWeights, WeightAverage, type NamedWeight } from '../../../src/average/weights';
import { evaluateRun } from '../../../src/evaluate/evaluate-run';
import { averageCases } from '../../support/goldens/cases/average';
import { loadGolden } from '../../support/goldens/golden';
import { folderSnapshot } from '../../support/folder-snapshot';
import { timOk } from '../../support/cli';
import { tmpDir } from '../../support/tmp';
import { trainSummary } from '../../support/run-files';
import { summaryFile } from '../../../src/io/run-folder';
import { makeDataset, makeRun } from '../evaluate/run-fixture';

jest.setTimeout(60_000);

test('the average is the float64 mean rounded to float32, exactly as numpy computes it', () => {
  const { runs, length, values } = averageCases();
  const want = new Float32Array(new Uint8Array(loadGolden('numpy-average').read('mean.f32')).buffer);
  const average = new WeightAverage();
  for (let r = 0; r < runs; r++) average.add([{ name: 'w', shape: [length], values: values.subarray(r * length, (r + 1) * length) }]);
  const got = (average.mean()[0] as NamedWeight).values;
  expect(Array.from(got)).toEqual(Array.from(want));
  // The cases tell the two apart: a float32 running sum misses numpy's mean somewhere.
  const float32Sum = Array.from({ length }, (_, i) => {
    let s = Math.fround(0);
    for (let r = 0; r < runs; r++) s = Math.fround(s + (values[r * length + i] as number));
    return Math.fround(s / runs);
  });
  expect(float32Sum.some((v, i) => v !== want[i])).toBe(true);
});

describe('tim average', () => {
  let tmp: ReturnType<typeof tmpDir>;
  let split: Awaited<ReturnType<typeof makeDataset>>;
  const runs: string[] = [];
  /** Writes what training records of the best epoch, for --top-k to rank by. */
  const writeHistory = (dir: string, valAcc: number): void => {
    summaryFile.write(path.join(dir, 'summary.json'), trainSummary({ best_epoch: 2 }));
    const line = (epoch: number, acc: number) => JSON.stringify({ epoch, train_loss: 1, train_acc: 0.5, val_loss: 1, val_acc: acc, lr: { early: 0, middle: 0, head: 1e-3 }, update_ratio: { early: 0, middle: 0, head: 0 }, seconds: 1, images_per_sec: 1, num_tensors: 1, rss_mb: 1 });
    fs.writeFileSync(path.join(dir, 'history.jsonl'), `${line(1, 0.1)}\n${line(2, valAcc)}\n`);
  };
  /** The element-wise mean of the runs' best/ weights, computed here in float64. */
  const meanOf = (dirs: string[]): Float32Array[] => {
    const all = dirs.map((d) => readFolderWeights(path.join(d, 'best')));
    return (all[0] as NamedWeight[]).map((w, i) =>
      Float32Array.from(w.values, (_, j) => all.reduce((s, ws) => s + ((ws[i] as NamedWeight).values[j] as number), 0) / all.length),
    );
  };

  beforeAll(async () => {
    tmp = tmpDir();
    split = await makeDataset(path.join(tmp.dir, 'data'), 3);
    for (const [i, acc] of [0.5, 0.9, 0.7].entries()) {
      const dir = path.join(tmp.dir, 'runs', `seed${i}`);
      await makeRun(dir, split, { resize: 'stretch', seed: 20 + i });
      writeHistory(dir, acc);
      runs.push(dir);
    }
  });
  afterAll(() => tmp.cleanup());

  it('writes a new run of the averaged weights (BatchNorm statistics too) that evaluate scores like any other', async () => {
    const before = runs.map(folderSnapshot);
    const out = path.join(tmp.dir, 'runs', 'soup');
    const tensors = tf.memory().numTensors;
    const record = await averageRuns({ runs, out });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(runs.map(folderSnapshot)).toEqual(before);

    const got = readFolderWeights(path.join(out, 'best'));
    const want = meanOf(runs);
    expect(got.some((w) => /bn/.test(w.name) && /moving_variance/.test(w.name))).toBe(true);
    got.forEach((w, i) => expect(Array.from(w.values)).toEqual(Array.from(want[i] as Float32Array)));
    expect(record.sources.map((s) => [s.averaged, s.val_acc])).toEqual([[true, 0.5], [true, 0.9], [true, 0.7]]);
    expect(record.batch_norm_statistics).toBe('averaged');
    // config, labels and split of the first run; the config under the new run's name.
    expect(JSON.parse(fs.readFileSync(path.join(out, 'labels.json'), 'utf8'))).toEqual(split.classes);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'split.json'), 'utf8'))).toEqual(split);
    expect(fs.readFileSync(path.join(out, 'config.yaml'), 'utf8')).toMatch(/^name: soup$/m);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'average.json'), 'utf8'))).toEqual(record);

    const evaluated = await evaluateRun(out, { bootstrap: 10, progress: false });
    expect(evaluated.metrics.num_samples).toBe(split.val.length);
    expect(fs.existsSync(path.join(out, 'metrics.json'))).toBe(true);
  });

  it('--top-k K averages the K runs whose best epoch scored highest on validation', async () => {
    const out = path.join(tmp.dir, 'runs', 'top2');
    const record = await averageRuns({ runs, out, topK: 2 });
    expect(record.sources.map((s) => s.averaged)).toEqual([false, true, true]);
    const want = meanOf([runs[1] as string, runs[2] as string]);
    readFolderWeights(path.join(out, 'best')).forEach((w, i) => expect(Array.from(w.values)).toEqual(Array.from(want[i] as Float32Array)));
    await expect(averageRuns({ runs, out: path.join(tmp.dir, 'runs', 'top4'), topK: 4 })).rejects.toThrow(/--top-k: expected a whole number from 2 to the 3 runs given, got 4/);
  });

  it('refuses runs of another architecture, other classes or another split, naming the run; and never replaces a folder without --force', async () => {
    const variant = async (name: string, edit: (dir: string) => void): Promise<string> => {
      const dir = path.join(tmp.dir, 'variants', name);
      fs.cpSync(runs[0] as string, dir, { recursive: true });
      edit(dir);
      return dir;
    };
    const rewrite = (file: string, from: string | RegExp, to: string) => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(from, to));
    const arch = await variant('arch', (d) => rewrite(path.join(d, 'config.yaml'), 'arch: tiny_cnn', 'arch: resnet50'));
    const renamed = split.classes.map((c, i) => (i === 2 ? 'Delta' : c));
    const classes = await variant('classes', (d) => {
      fs.writeFileSync(path.join(d, 'labels.json'), JSON.stringify(renamed));
      fs.writeFileSync(path.join(d, 'split.json'), JSON.stringify({ ...split, classes: renamed }));
    });
    const other = await variant('split', (d) => fs.writeFileSync(path.join(d, 'split.json'), JSON.stringify({ ...split, train: split.train.slice(1), val: [...split.val, split.train[0]] })));
    const out = path.join(tmp.dir, 'runs', 'refused');
    await expect(averageRuns({ runs: [runs[0] as string, arch], out })).rejects.toThrow(`${arch}: cannot be averaged with ${runs[0]}: its architecture is resnet50, the first run's tiny_cnn`);
    await expect(averageRuns({ runs: [runs[0] as string, classes], out })).rejects.toThrow(`${classes}: cannot be averaged with ${runs[0]}: its classes (labels.json) differ`);
    await expect(averageRuns({ runs: [runs[0] as string, other], out })).rejects.toThrow(`${other}: cannot be averaged with ${runs[0]}: its split.json holds other training or validation images`);
    expect(fs.existsSync(out)).toBe(false);
    await expect(averageRuns({ runs, out: runs[1] as string })).rejects.toThrow(/already exists; use --force/);
  });

  it('runs from the command line', async () => {
    const out = path.join(tmp.dir, 'runs', 'cli');
    const r = await timOk(['average', '--runs', ...runs, '--top-k', '2', '--out', out]);
    expect(r.stdout).toContain(`averaged 2 runs (BatchNorm statistics averaged) into ${out}`);
    expect(r.stdout).toContain(`  - ${runs[0]} (val_acc 0.5000 at epoch 2)`);
    expect(fs.existsSync(path.join(out, 'best', 'model.json'))).toBe(true);
  });
});
