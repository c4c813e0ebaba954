import * as fs from 'fs';
import * as path from 'path';
import { synthesizeDataset } from '../../src/data';
import { camMethodNames } from '../../src/explain/cam-methods';
import { parseCsv } from '../../src/io/csv';
import { timOk } from '../support/cli';
import { tmpDir } from '../support/tmp';

/**
 * The commands through the CLI on --backend webgpu, each compared with the same command on
 * cpu. Every child runs with TIM_WEBGPU_SYNC_READS=throw (set by the suite's global setup), so
 * a synchronous read anywhere on these paths fails the run.
 */
const LIMIT = 1e-3;

// No process.exit anywhere: a live GPU device would keep the child running until the timeout.
const tim = (...args: string[]) => timOk(args, { timeoutMs: 600_000 });

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

interface History {
  epoch: number;
  train_loss: number;
  val_loss: number;
  val_acc: number;
  num_tensors: number;
}

const readHistory = (dir: string): History[] =>
  fs
    .readFileSync(path.join(dir, 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as History);

/** Predicted class and the top-3 probabilities of predictions.csv, per image. */
function predictionRows(dir: string): Map<string, { pred: string; probs: number[] }> {
  const [header, ...rows] = parseCsv(fs.readFileSync(path.join(dir, 'predictions.csv'), 'utf8'));
  const col = (name: string): number => (header ?? []).indexOf(name);
  return new Map(rows.filter((r) => r.length > 1).map((r) => [r[col('path')] ?? '', { pred: r[col('pred')] ?? '', probs: ['confidence', 'top1_prob', 'top2_prob', 'top3_prob'].map((c) => Number(r[col(c)])) }]));
}

let t: ReturnType<typeof tmpDir>;
let data: string;

function config(name: string, over: string): string {
  const file = path.join(t.dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}\nseed: 7\n` +
      `data: { root: ${data}, image_size: 32, resize: letterbox, val_fraction: 0.25, cache: true }\n` +
      // Augmentation off: the two backends then see identical batches.
      'augment: { hflip: 0, rotate_degrees: 0, color_jitter: [0, 0, 0] }\n' +
      over,
  );
  return file;
}

beforeAll(async () => {
  t = tmpDir('tim-webgpu-');
  data = path.join(t.dir, 'synth');
  await synthesizeDataset(data, { seed: 5, scale: 0.2 });
}, 300_000);

afterAll(() => t.cleanup());

describe('tiny_cnn through the CLI on webgpu', () => {
  let runGpu: string;

  it('trains with the per-epoch losses of the cpu run, without leaking tensors, and exits by itself', async () => {
    const cfg = config(
      'tiny',
      'model: { arch: tiny_cnn, pretrained: none }\n' +
        'train: { epochs: 2, batch_size: 8, max_batches_per_epoch: 2, lr_groups: { early: 3.0e-3, middle: 3.0e-3, head: 3.0e-3 } }\n',
    );
    const runCpu = path.join(t.dir, 'tiny-cpu');
    runGpu = path.join(t.dir, 'tiny-webgpu');
    await tim('train', '--config', cfg, '--out', runCpu, '--backend', 'cpu');
    const trained = await tim('train', '--config', cfg, '--out', runGpu, '--backend', 'webgpu');
    expect(trained.stderr).toMatch(/backend: webgpu/);
    const [cpu, gpu] = [readHistory(runCpu), readHistory(runGpu)];
    expect(gpu.map((h) => h.epoch)).toEqual([1, 2]);
    gpu.forEach((h, i) => {
      const c = cpu[i] as History;
      expect(rel(h.train_loss, c.train_loss)).toBeLessThanOrEqual(LIMIT);
      expect(rel(h.val_loss, c.val_loss)).toBeLessThanOrEqual(LIMIT);
      expect(h.val_acc).toBeCloseTo(c.val_acc, 6);
    });
    // Live tensors after each epoch: the same count every epoch.
    expect(new Set(gpu.map((h) => h.num_tensors)).size).toBe(1);
    const summary = JSON.parse(fs.readFileSync(path.join(runGpu, 'summary.json'), 'utf8')) as { backend: string };
    expect(summary.backend).toBe('webgpu');
  }, 900_000);

  it('evaluates (with --tta flip) to the cpu results', async () => {
    await tim('evaluate', '--run', runGpu, '--backend', 'cpu', '--tta', 'flip', '--bootstrap', '20');
    const cpuRows = predictionRows(runGpu);
    const cpuMetrics = JSON.parse(fs.readFileSync(path.join(runGpu, 'metrics.json'), 'utf8')) as { accuracy: number };
    await tim('evaluate', '--run', runGpu, '--backend', 'webgpu', '--tta', 'flip', '--bootstrap', '20');
    const gpuRows = predictionRows(runGpu);
    const gpuMetrics = JSON.parse(fs.readFileSync(path.join(runGpu, 'metrics.json'), 'utf8')) as { accuracy: number };
    expect(gpuMetrics.accuracy).toBe(cpuMetrics.accuracy);
    expect([...gpuRows.keys()].sort()).toEqual([...cpuRows.keys()].sort());
    for (const [file, got] of gpuRows) {
      const want = cpuRows.get(file);
      expect(got.pred).toBe(want?.pred);
      got.probs.forEach((p, i) => expect(Math.abs(p - (want?.probs[i] ?? NaN))).toBeLessThanOrEqual(LIMIT));
    }
  }, 600_000);

  it('explains as on cpu, with every CAM method, and predicts the same', async () => {
    const artist = path.join(data, fs.readdirSync(data).filter((d) => !d.startsWith('.'))[0] ?? '');
    const file = path.join(artist, fs.readdirSync(artist)[0] ?? '');
    type Explained = { label: string; confidence: number; heatmap: number[][] };
    const explain = async (method: string, backend: string): Promise<Explained> => JSON.parse((await tim('explain', '--run', runGpu, '--image', file, '--method', method, '--json', '--backend', backend)).stdout) as Explained;
    const c = await explain('gradcam', 'cpu');
    const g = await explain('gradcam', 'webgpu');
    expect(g.label).toBe(c.label);
    expect(Math.abs(g.confidence - c.confidence)).toBeLessThanOrEqual(LIMIT);
    expect(Math.max(...g.heatmap.flatMap((row, r) => row.map((v, k) => Math.abs(v - (c.heatmap[r]?.[k] ?? NaN)))))).toBeLessThanOrEqual(LIMIT);
    // The other methods on webgpu: same prediction, a map in [0, 1] that is not flat.
    for (const method of camMethodNames().filter((m) => m !== 'gradcam')) {
      const e = await explain(method, 'webgpu');
      expect(e.label).toBe(c.label);
      const cells = e.heatmap.flat();
      expect(cells.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(Math.max(...cells)).toBeGreaterThan(Math.min(...cells));
    }
    const predicted = JSON.parse((await tim('predict', '--run', runGpu, file, '--json', '--backend', 'webgpu')).stdout) as { label: string; confidence: number }[];
    expect(predicted[0]?.label).toBe(c.label);
    expect(Math.abs((predicted[0]?.confidence ?? NaN) - c.confidence)).toBeLessThanOrEqual(LIMIT);
  }, 900_000);

  it('scores faithfulness on webgpu', async () => {
    await tim('explain', '--run', runGpu, '--faithfulness', '--limit', '4', '--methods', 'gradcam', '--backend', 'webgpu');
    const report = JSON.parse(fs.readFileSync(path.join(runGpu, 'faithfulness.json'), 'utf8')) as { images: number; mean_confidence: number; methods: unknown[] };
    expect(report.images).toBe(4);
    expect(report.mean_confidence).toBeGreaterThan(0);
    expect(report.methods).toHaveLength(1);
  }, 600_000);
});
