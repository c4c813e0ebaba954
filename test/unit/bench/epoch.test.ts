import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ensureLargeJpegs } from '../../../bench/data';
import { epochTable, runTimEpoch, type EpochRow } from '../../../bench/epoch';
import { tmpDir } from '../../support/tmp';

const ROOT = path.resolve(__dirname, '../../..');

function tim(...args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tim.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('tim bench epoch', () => {
  const tmp = tmpDir('tim-bench-epoch-');
  afterAll(async () => {
    tmp.cleanup();
    await tf.setBackend('cpu');
  });

  it('trains a cold and a warm epoch of a config in micro-batches and leaves no tensors behind', async () => {
    const root = await ensureLargeJpegs(tmp.dir, { count: 12, width: 96, height: 72, classes: 2 });
    const before = tf.memory().numTensors;
    const out = path.join(tmp.dir, 'out');
    const logged: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    let r;
    try {
      r = await runTimEpoch({ config: 'quickstart', root, out, microBatch: 4, set: ['data.image_size=32', 'train.batch_size=8'] });
    } finally {
      spy.mockRestore();
    }
    expect(logged.join('')).toMatch(/batch 8 in micro-batches of 4 \(BatchNorm statistics per micro-batch of 4\)/);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.backend).toBe('wasm');
    expect(r.train_images + r.val_images).toBe(12);
    expect([r.batch_size, r.micro_batch]).toEqual([8, 4]);
    expect(r.cold.cache_seconds).toBeGreaterThan(0);
    for (const e of [r.cold, r.warm]) {
      expect(e.train_seconds).toBeGreaterThan(0);
      expect(e.val_seconds).toBeGreaterThan(0);
      expect(e.seconds).toBeCloseTo(e.train_seconds + e.val_seconds + (e === r.cold ? (r.cold.cache_seconds ?? 0) : 0), 2);
      // seconds is rounded to the millisecond and the rate to 4 digits: the product is 12 within those roundings.
      expect(Math.abs((e.images_per_sec * e.seconds) / 12 - 1)).toBeLessThanOrEqual(0.0005 / e.seconds + 0.001);
      // Waiting for and preparing images are parts of the epoch's seconds.
      expect(e.data_wait_seconds).toBeGreaterThanOrEqual(0);
      expect(e.data_prepare_seconds).toBeGreaterThan(0);
      expect((e.data_wait_seconds ?? 0) + (e.data_prepare_seconds ?? 0)).toBeLessThan(e.seconds);
    }
    expect(r.wasm_heap_mb).toBeGreaterThan(0);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'run', 'summary.json'), 'utf8')) as { micro_batch: number; epochs_planned: number; batch_norm_statistics: string };
    expect([summary.micro_batch, summary.epochs_planned, summary.batch_norm_statistics]).toEqual([4, 2, 'per micro-batch']);
  }, 120_000);

  it('tabulates both sides and the ratio of their warm epochs', () => {
    const side = { backend: 'wasm', config: 'resnet50', train_images: 51, val_images: 13, batch_size: 32, peak_rss_mb: 3000 };
    const row: EpochRow = {
      config: 'resnet50',
      images: 64,
      tim: { ...side, side: 'tim', micro_batch: 16, cold: { seconds: 90, train_seconds: 70, val_seconds: 10, images_per_sec: 0.71, cache_seconds: 10 }, warm: { seconds: 60, train_seconds: 50, val_seconds: 10, images_per_sec: 1.07, data_wait_seconds: 0.25, data_prepare_seconds: 3 }, wasm_heap_mb: 3500 },
      torch: { ...side, side: 'torch', backend: 'torch', micro_batch: 32, cold: { seconds: 45, train_seconds: 40, val_seconds: 5, images_per_sec: 1.4 }, warm: { seconds: 40, train_seconds: 36, val_seconds: 4, images_per_sec: 1.6 }, workers: 2, workers_peak_rss_mb: 300 },
      ratio: 1.5,
    };
    const lines = epochTable([row]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('| resnet50 | 51+13 | 32 / 16 | 90 (10) | 60 | 0.25 / 3 | 1.07 | 45 | 40 | 1.6 | 1.5× | 3000 (3500) | 3000 (+ 2× 300) |');
  });

  it.each([
    [['--images', '0'], /--images must be a positive integer, got 0/],
    [['--images', '5'], /--images must be at least 10/],
    [['--images', '20', '--micro-batch', '1.5'], /--micro-batch must be a positive integer, got 1.5/],
    [['--images', '20', '--config', 'no_such_config'], /no_such_config/],
  ])('rejects %j with one line', (args, message) => {
    const r = tim('bench', 'epoch', '--no-torch', ...args);
    expect(r.status).not.toBe(0);
    expect(String(r.stderr)).toMatch(message);
    expect(String(r.stderr)).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('takes --micro-batch for bench train and says what it used', () => {
    const r = tim('bench', 'train', '--arch', 'tiny_cnn', '--image-size', '32', '--batch', '4', '--micro-batch', '2', '--steps', '1', '--backend', 'wasm', '--json');
    expect(r.status).toBe(0);
    expect((JSON.parse(String(r.stdout).trim()) as { micro_batch: number }).micro_batch).toBe(2);
    const bad = tim('bench', 'infer', '--arch', 'tiny_cnn', '--micro-batch', '0');
    expect(bad.status).not.toBe(0);
    expect(String(bad.stderr)).toMatch(/--micro-batch must be a positive integer, got 0/);
  }, 60_000);
});
