import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type BenchRunner, compareTable, type CompareRow, runCompare } from '../../../bench/compare';
import { benchOptimizer, runModelBench } from '../../../bench/model-bench';

const ROOT = path.resolve(__dirname, '../../..');

describe('tim bench', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('times a training step and an inference pass, and leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    for (const mode of ['train', 'infer'] as const) {
      const r = await runModelBench({ mode, arch: 'tiny_cnn', imageSize: 32, batch: 2, steps: 1, backend: 'wasm' });
      expect(Object.keys(r).sort()).toEqual(['backend', 'micro_batch', 'ms_per_image', 'peak_rss_mb', 'wasm_heap_mb']);
      expect(r.micro_batch).toBe(2);
      expect(r.backend).toBe('wasm');
      expect(r.ms_per_image).toBeGreaterThan(0);
      expect(r.peak_rss_mb).toBeGreaterThan(10);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('profiles kernels on request and puts the originals back', async () => {
    const r0 = await runModelBench({ mode: 'infer', arch: 'tiny_cnn', imageSize: 32, batch: 2, steps: 1, backend: 'wasm' });
    expect(r0.kernels).toBeUndefined();
    const before = tf.getKernel('FusedConv2D', 'wasm')?.kernelFunc;
    const r = await runModelBench({ mode: 'train', arch: 'tiny_cnn', imageSize: 32, batch: 2, steps: 2, backend: 'wasm', profile: true });
    const names = (r.kernels ?? []).map((k) => k.kernel);
    expect(names).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'TimBatchNormTraining']));
    for (const k of r.kernels ?? []) expect(k.calls).toBeGreaterThan(0);
    expect(tf.getKernel('FusedConv2D', 'wasm')?.kernelFunc).toBe(before);
  });

  it('prints the JSON contract from the command line', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin', 'tim.js'), 'bench', 'train', '--arch', 'tiny_cnn', '--image-size', '32', '--batch', '2', '--steps', '1', '--backend', 'wasm', '--json'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    expect(out.backend).toBe('wasm');
    expect(typeof out.ms_per_image).toBe('number');
    expect(typeof out.peak_rss_mb).toBe('number');
  }, 60_000);

  it('trains on XNNPACK threads (shared wasm heap) and the process exits by itself', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin', 'tim.js'), 'bench', 'train', '--arch', 'tiny_cnn', '--image-size', '32', '--batch', '4', '--steps', '2', '--backend', 'wasm', '--wasm-threads', '2', '--profile'],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ms\/image on wasm/);
    expect(r.stdout).toMatch(/\| TimBatchNormTraining \|/);
  }, 70_000);

  it('rejects a bad batch size with one line', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tim.js'), 'bench', 'infer', '--arch', 'tiny_cnn', '--batch', '0'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--batch must be a positive integer/);
  }, 60_000);

  it('rejects a negative weight decay with one line', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tim.js'), 'bench', 'train', '--arch', 'tiny_cnn', '--weight-decay', '-0.1'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--weight-decay must be a number of at least 0, got -0\.1/);
  }, 60_000);

  it("decays the weights training decays, and nothing without a weight decay", () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 }), tf.layers.batchNormalization()] });
    const applied = (weightDecay: number): string[] => {
      const before = model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
      const optimizer = benchOptimizer(model, weightDecay);
      // A zero gradient: Adam moves nothing, so only the decay changes a weight.
      tf.tidy(() => optimizer.applyGradients(model.trainableWeights.map((w) => ({ name: (w.read() as tf.Variable).name, tensor: tf.zerosLike(w.read()) }))));
      optimizer.dispose();
      return model.trainableWeights.filter((w, i) => Array.from(w.read().dataSync()).some((v, k) => v !== before[i]?.[k])).map((w) => w.read().shape.length.toString());
    };
    expect(applied(0)).toEqual([]);
    // Only the dense kernel (rank 2) decays; its bias and BatchNorm's scale and shift (rank 1) do not.
    expect(applied(0.5)).toEqual(['2']);
    model.dispose();
  });

  it('tabulates the Tim/PyTorch ratios', () => {
    const row: CompareRow = {
      arch: 'resnet50',
      mode: 'train',
      image_size: 128,
      batch: 8,
      tim: { backend: 'wasm', ms_per_image: 90, peak_rss_mb: 900 },
      torch: { backend: 'torch', ms_per_image: 30, peak_rss_mb: 700 },
      ratio: 3,
    };
    const table = compareTable([row]);
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toContain('| resnet50 | train | 128 | 8 | wasm | 90 | 30 | 3× | 900 | 700 |');
  });

  it('--torch-device cuda measures PyTorch with TF32 off and on, and fails clearly where torch has no CUDA', () => {
    const calls: string[][] = [];
    const fake = (cuda: boolean): BenchRunner => (cmd, args) => {
      calls.push([cmd, ...args]);
      if (args.includes('probe')) return `${JSON.stringify({ torch: '2.5.1+cu124', cuda })}\n`;
      if (cmd === process.execPath) return `loading\n${JSON.stringify({ backend: 'webgpu', ms_per_image: 6, peak_rss_mb: 800 })}\n`;
      return JSON.stringify({ backend: 'torch', ms_per_image: args.includes('on') ? 1 : 2, peak_rss_mb: 900 });
    };
    const opts = { archs: ['resnet50'], trainSize: 224, inferSize: 224, batch: 32, steps: 3, backend: 'webgpu', python: '/opt/venv/bin/py', torchDevice: 'cuda' as const };
    expect(() => runCompare(opts, fake(false))).toThrow(
      '--torch-device cuda: /opt/venv/bin/py has torch 2.5.1+cu124 without a CUDA device (torch.cuda.is_available() is false); use --python with a CUDA build of PyTorch on a machine with an NVIDIA GPU, or leave --torch-device at cpu',
    );
    calls.length = 0;
    const rows = runCompare(opts, fake(true));
    expect(rows.map((r) => [r.mode, r.ratio, r.ratio_tf32])).toEqual([
      ['train', 3, 6],
      ['infer', 3, 6],
    ]);
    const torchCalls = calls.filter((c) => c[0] === '/opt/venv/bin/py' && !c.includes('probe'));
    expect(torchCalls.map((c) => c.slice(c.indexOf('--device')))).toEqual([
      ['--device', 'cuda', '--tf32', 'off'],
      ['--device', 'cuda', '--tf32', 'on'],
      ['--device', 'cuda', '--tf32', 'off'],
      ['--device', 'cuda', '--tf32', 'on'],
    ]);
    expect(calls.filter((c) => c[0] === process.execPath).every((c) => c.includes('--backend') && c.includes('webgpu') && c.includes('224') && c.includes('32'))).toBe(true);
    const table = compareTable(rows);
    expect(table).toContain('PyTorch ms/img (TF32 off)');
    expect(table).toContain('| resnet50 | train | 224 | 32 | webgpu | 6 | 2 | 3× | 1 | 6× | 800 | 900 |');
  });
});
