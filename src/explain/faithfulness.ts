import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { readSplit, seededShuffle } from '../data';
import type { ContentBox } from '../data/types';
import { faithfulnessFile, RUN_FILES, type FaithfulnessReport } from '../io/run-folder';
import { camExplainer } from './cam';
import { getCamMethod } from './cam-methods';
import { loadBatch, probabilities } from '../inference/predict';
import type { InferenceRun } from '../inference/inference-run';

export const FAITHFULNESS_FILE = RUN_FILES.faithfulness;

/**
 * How removed pixels are filled. The per-image mean colour of the picture area takes the
 * information out of those pixels entirely (a blur would leave a coloured motif's colour
 * behind). The out-of-distribution artefact of the fill itself, which ROAD's imputation is
 * designed to avoid, is the same for the most- and the least-highlighted masks (same size,
 * same fill), so their difference isolates what the map's ranking of pixels is worth.
 */
export const FILL_DESCRIPTION = 'per-image mean colour of the picture area (in normalised input space)';

export interface FaithfulnessOptions {
  methods?: string[];
  /** Held-out images to use at most (default 50), a seeded sample of split.json's `val`. */
  limit?: number;
  /** Share of the picture's pixels removed (default 0.2). */
  fraction?: number;
  batchSize?: number;
  targetLayer?: string;
  seed?: number;
}

export type { FaithfulnessReport, MethodFaithfulness } from '../io/run-folder';

/** Indices of the picture pixels (inside `box`) in a size×size image. */
function contentIndices(box: ContentBox, size: number): Int32Array {
  const out = new Int32Array(box.width * box.height);
  let k = 0;
  for (let r = box.y; r < box.y + box.height; r++) for (let c = box.x; c < box.x + box.width; c++) out[k++] = r * size + c;
  return out;
}

/**
 * Masks (1 = remove) of the `count` picture pixels ranked highest and lowest by `map`. Ties,
 * common where the ReLU zeroed a region, are broken at random so the masks carry no spatial
 * bias of their own.
 */
export function rankMasks(map: ArrayLike<number>, box: ContentBox, size: number, fraction: number, rng: () => number): { most: Float32Array; least: Float32Array } {
  const idx = contentIndices(box, size);
  const keyed = Array.from(idx, (i) => ({ i, v: (map[i] ?? 0) + rng() * 1e-6 }));
  keyed.sort((a, b) => b.v - a.v);
  const count = Math.round(fraction * idx.length);
  const most = new Float32Array(size * size);
  const least = new Float32Array(size * size);
  for (let k = 0; k < count; k++) {
    most[(keyed[k] as { i: number }).i] = 1;
    least[(keyed[keyed.length - 1 - k] as { i: number }).i] = 1;
  }
  return { most, least };
}

function randomMask(box: ContentBox, size: number, fraction: number, rng: () => number): Float32Array {
  return rankMasks(Float32Array.from({ length: size * size }, () => rng()), box, size, fraction, rng).most;
}

/** Probability of class `classes[i]` for each image after filling the masked pixels with the picture's mean colour. */
async function probsAfterRemoval(model: tf.LayersModel, x: tf.Tensor4D, masks: Float32Array[], boxes: ContentBox[], classes: number[]): Promise<number[]> {
  const probs = tf.tidy(() => {
    const [n, size] = x.shape;
    const picture = tf.stack(boxes.map((b) => tf.tensor2d(Float32Array.from({ length: size * size }, (_, i) => {
      const r = Math.floor(i / size);
      const c = i % size;
      return r >= b.y && r < b.y + b.height && c >= b.x && c < b.x + b.width ? 1 : 0;
    }), [size, size]))).expandDims(3);
    const mean = tf.div(tf.sum(tf.mul(x, picture), [1, 2], true), tf.sum(picture, [1, 2], true));
    const m = tf.tensor4d(Float32Array.from(masks.flatMap((mk) => Array.from(mk))), [n, size, size, 1]);
    const filled = tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(mean, m));
    return tf.softmax(model.predict(filled) as tf.Tensor2D);
  });
  const rows = (await probs.array());
  probs.dispose();
  return classes.map((c, i) => rows[i]?.[c] ?? 0);
}

const mean = (v: number[]): number => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN);

/**
 * Confidence-drop faithfulness over held-out images: for each method, how much the predicted
 * class's probability falls when the most-highlighted `fraction` of the picture is removed,
 * against removing the least-highlighted `fraction` (in the spirit of pytorch-grad-cam's
 * ROAD and confidence-drop metrics). Writes `faithfulness.json` into the run folder.
 */
export async function faithfulness(run: InferenceRun, opts: FaithfulnessOptions = {}): Promise<FaithfulnessReport> {
  const methods = (opts.methods ?? ['gradcam', 'gradcampp', 'hirescam']).map(getCamMethod);
  const fraction = opts.fraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new TimError(`faithfulness: removed fraction must be in (0, 1), got ${fraction}`);
  const limit = opts.limit ?? 50;
  const batchSize = Math.max(1, opts.batchSize ?? 8);
  const seed = opts.seed ?? 0;
  const targetLayer = opts.targetLayer ?? run.tm.spec.camTargetLayer;
  const cam = camExplainer(run.tm.model, targetLayer);
  const split = readSplit(path.join(run.dir, RUN_FILES.split));
  if (split.val.length === 0) throw new TimError(`${path.join(run.dir, RUN_FILES.split)}: no held-out (val) images`);
  const items = seededShuffle(split.val, `faithfulness-${seed}`).slice(0, limit);
  const rng = seedrandom(`faithfulness-masks-${seed}`);
  const size = run.spec.image_size;

  const before: number[] = [];
  const randomDrops: number[] = [];
  const drops = methods.map(() => ({ most: [] as number[], least: [] as number[] }));
  let done = 0;
  for (let start = 0; start < items.length; start += batchSize) {
    const files = items.slice(start, start + batchSize).map((item) => path.join(split.root, item.path));
    const batch = await loadBatch(run, files, (_, e) => log.warn(`${e.message}; skipped`));
    if (!batch) continue;
    const { x, boxes } = batch;
    try {
      const k = run.labels.length;
      const all = await probabilities(run.tm.model, x);
      const p0 = boxes.map((_, i) => Array.from(all.subarray(i * k, (i + 1) * k)));
      const classes = p0.map((row) => row.indexOf(Math.max(...row)));
      const conf = classes.map((c, i) => p0[i]?.[c] ?? 0);
      before.push(...conf);
      const random = await probsAfterRemoval(run.tm.model, x, boxes.map((b) => randomMask(b, size, fraction, rng)), boxes, classes);
      randomDrops.push(...random.map((p, i) => (conf[i] ?? 0) - p));
      for (const [mi, method] of methods.entries()) {
        const { maps, logits } = cam.compute(x, classes, method);
        const values = await maps.data();
        tf.dispose([maps, logits]);
        const masks = boxes.map((b, i) => rankMasks(values.subarray(i * size * size, (i + 1) * size * size), b, size, fraction, rng));
        const most = await probsAfterRemoval(run.tm.model, x, masks.map((m) => m.most), boxes, classes);
        const least = await probsAfterRemoval(run.tm.model, x, masks.map((m) => m.least), boxes, classes);
        const d = drops[mi] as { most: number[]; least: number[] };
        d.most.push(...most.map((p, i) => (conf[i] ?? 0) - p));
        d.least.push(...least.map((p, i) => (conf[i] ?? 0) - p));
      }
    } finally {
      x.dispose();
    }
    done += boxes.length;
    log.info(`faithfulness: ${done}/${items.length} images`);
  }
  if (before.length === 0) throw new TimError(`${run.dir}: none of the held-out images could be read`);
  const report: FaithfulnessReport = {
    split: 'val',
    images: before.length,
    removed_fraction: fraction,
    fill: FILL_DESCRIPTION,
    class: 'predicted',
    target_layer: targetLayer,
    mean_confidence: mean(before),
    random_drop: mean(randomDrops),
    methods: methods.map((m, mi) => {
      const d = drops[mi] as { most: number[]; least: number[] };
      const wins = d.most.filter((v, i) => v > (d.least[i] ?? 0)).length;
      return {
        method: m.name,
        title: m.title,
        drop_most: mean(d.most),
        drop_least: mean(d.least),
        gap: mean(d.most) - mean(d.least),
        most_beats_least: wins / d.most.length,
      };
    }),
  };
  run.folder.write(faithfulnessFile, report);
  return report;
}

/** The report as a plain-text table. */
export function formatFaithfulness(r: FaithfulnessReport): string {
  const pct = `${Math.round(r.removed_fraction * 100)}%`;
  const head = ['method', `drop: top ${pct} removed`, `drop: bottom ${pct} removed`, 'gap', 'top > bottom'];
  const rows = r.methods.map((m) => [m.title, m.drop_most.toFixed(3), m.drop_least.toFixed(3), m.gap.toFixed(3), `${Math.round(100 * m.most_beats_least)}%`]);
  rows.push([`random ${pct}`, r.random_drop.toFixed(3), '', '', '']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [
    `Faithfulness on ${r.images} held-out images (confidence of the predicted class, mean ${r.mean_confidence.toFixed(3)}; removed pixels filled with the picture's mean colour)`,
    line(head),
    line(head.map((_, i) => '-'.repeat(widths[i] ?? 0))),
    ...rows.map(line),
  ].join('\n');
}
