import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { timOk } from '../support/cli';
import { tmpDir } from '../support/tmp';

/**
 * The three ImageNet backbones through the CLI on --backend webgpu at the smallest size they
 * take (ResNet-50's stride-32 trunk needs 32 px): one training step, evaluation and a Grad-CAM
 * map each. SwiftShader runs these on the CPU, so the data set, batch and step count are the
 * least that still exercises every kernel of the training, evaluation and explanation paths.
 */
const BACKBONES = ['resnet50', 'efficientnet_b0', 'convnext_tiny'] as const;
const CLASSES = ['artist_a', 'artist_b'];
const IMAGES_PER_CLASS = 3;

const tim = (...args: string[]) => timOk(args, { timeoutMs: 900_000 });

let t: ReturnType<typeof tmpDir>;
let data: string;

beforeAll(async () => {
  t = tmpDir('tim-webgpu-backbones-');
  data = path.join(t.dir, 'paintings');
  // Each class a different dominant colour with pixel noise, so the images are not all alike.
  for (const [k, name] of CLASSES.entries()) {
    fs.mkdirSync(path.join(data, name), { recursive: true });
    for (let i = 0; i < IMAGES_PER_CLASS; i++) {
      const px = Buffer.alloc(40 * 40 * 3);
      for (let j = 0; j < px.length; j++) px[j] = (j % 3 === k ? 180 : 40) + ((j * 7919 + i * 104729) % 61);
      await sharp(px, { raw: { width: 40, height: 40, channels: 3 } }).jpeg().toFile(path.join(data, name, `${name}_${i}.jpg`));
    }
  }
}, 60_000);

afterAll(() => t.cleanup());

describe.each(BACKBONES)('%s through the CLI on webgpu', (arch) => {
  it('trains one step, evaluates and explains, each exiting by itself', async () => {
    const cfg = path.join(t.dir, `${arch}.yaml`);
    fs.writeFileSync(
      cfg,
      `name: ${arch}\nseed: 3\n` +
        `data: { root: ${data}, image_size: 32, resize: stretch, val_fraction: 0.34, cache: false }\n` +
        'augment: { hflip: 0, rotate_degrees: 0, color_jitter: [0, 0, 0] }\n' +
        `model: { arch: ${arch}, pretrained: none }\n` +
        'train: { epochs: 1, batch_size: 2, max_batches_per_epoch: 1 }\n',
    );
    const run = path.join(t.dir, arch);
    const trained = await tim('train', '--config', cfg, '--out', run, '--backend', 'webgpu');
    expect(trained.stderr).toMatch(/backend: webgpu/);
    const history = fs
      .readFileSync(path.join(run, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { epoch: number; train_loss: number; val_loss: number });
    expect(history.map((h) => h.epoch)).toEqual([1]);
    for (const h of history) {
      expect(Number.isFinite(h.train_loss)).toBe(true);
      expect(Number.isFinite(h.val_loss)).toBe(true);
    }

    await tim('evaluate', '--run', run, '--backend', 'webgpu', '--bootstrap', '10');
    const metrics = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')) as { accuracy: number };
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0);
    expect(metrics.accuracy).toBeLessThanOrEqual(1);

    const image = path.join(data, CLASSES[0] ?? '', `${CLASSES[0]}_0.jpg`);
    const explained = JSON.parse((await tim('explain', '--run', run, '--image', image, '--method', 'gradcam', '--json', '--backend', 'webgpu')).stdout) as {
      label: string;
      heatmap: number[][];
    };
    expect(CLASSES).toContain(explained.label);
    const cells = explained.heatmap.flat();
    expect(cells.length).toBeGreaterThan(0);
    expect(cells.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
  }, 1_200_000);
});
