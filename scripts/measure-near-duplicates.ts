/**
 * Measures the near-duplicate threshold on the synthetic paintings: how often two distinct
 * paintings fall within it (false positives), and how often a resized, re-encoded or cropped
 * copy of a painting does (detections).
 *
 *   npx tsx scripts/measure-near-duplicates.ts [DATA_DIR]   (default: a fresh synthetic set, seed 42)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';

type Image = ReturnType<typeof sharp>;
import { listDataset } from '../src/data/index-dataset';
import { hammingDistance, hashImageFile, NEAR_DUPLICATE_THRESHOLD, perceptualHash } from '../src/data/near-duplicates';
import { synthesizeDataset } from '../src/data/synth';

async function hashOf(img: Image): Promise<string> {
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return perceptualHash(data, info.width, info.height);
}

async function main(): Promise<void> {
  let root = process.argv[2];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tim-near-dup-'));
  if (!root) {
    root = path.join(tmp, 'synthetic');
    await synthesizeDataset(root, { seed: 42, progress: false });
  }
  const { files } = listDataset(root);
  const hashes = await Promise.all(files.map((f) => hashImageFile(path.join(root, f.path))));
  const histogram = new Array<number>(65).fill(0);
  let pairs = 0;
  for (let i = 0; i < hashes.length; i++) {
    for (let j = i + 1; j < hashes.length; j++) {
      histogram[hammingDistance(hashes[i] as string, hashes[j] as string)]! += 1;
      pairs++;
    }
  }
  const within = (t: number): number => histogram.slice(0, t + 1).reduce((a, b) => a + b, 0);
  const variants: Record<string, (img: Image, w: number, h: number) => Image> = {
    'half size': (img, w) => img.resize(Math.round(w / 2)),
    'double size': (img, w) => img.resize(w * 2),
    'JPEG quality 60': (img) => img.jpeg({ quality: 60 }),
    'crop 5% each side': (img, w, h) => img.extract({ left: Math.round(w * 0.05), top: Math.round(h * 0.05), width: Math.floor(w * 0.9), height: Math.floor(h * 0.9) }),
    'crop 2% each side': (img, w, h) => img.extract({ left: Math.round(w * 0.02), top: Math.round(h * 0.02), width: Math.floor(w * 0.96), height: Math.floor(h * 0.96) }),
  };
  const detections: Record<string, number[]> = {};
  for (const [name, make] of Object.entries(variants)) {
    detections[name] = [];
    for (let i = 0; i < files.length; i++) {
      const file = path.join(root, files[i]!.path);
      const meta = await sharp(file).metadata();
      const buf = await make(sharp(file), meta.width ?? 1, meta.height ?? 1).toBuffer();
      detections[name].push(hammingDistance(hashes[i] as string, await hashOf(sharp(buf))));
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  const out = {
    images: hashes.length,
    distinct_pairs: pairs,
    threshold: NEAR_DUPLICATE_THRESHOLD,
    false_positive_rate: Object.fromEntries([6, 8, 10, 12, 14].map((t) => [t, within(t) / pairs])),
    smallest_distinct_distance: histogram.findIndex((c) => c > 0),
    detection_rate: Object.fromEntries(
      Object.entries(detections).map(([name, d]) => [name, Object.fromEntries([6, 8, 10, 12, 14].map((t) => [t, d.filter((x) => x <= t).length / d.length]))]),
    ),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

void main();
