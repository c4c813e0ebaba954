import * as tf from '@tensorflow/tfjs';
import type { TimError } from '../core/errors';
import type { ContentBox } from '../data/types';
import { camExplainer } from './cam';
import { getCamMethod } from './cam-methods';
import { resolveClass } from './class-names';
import { cropToContent, heatmapRows, type Map2D } from './heatmap';
import { loadBatch } from '../inference/predict';
import type { InferenceRun } from '../inference/inference-run';
import { topK, type RankedClass } from '../inference/topk';
import { judgeLogits, type Confidence } from '../inference/calibration';

export interface ExplainOptions {
  /** CAM method name (default gradcam). */
  method?: string;
  /** Class to explain; the predicted class when omitted. */
  className?: string;
  /** Layer whose activations are explained; the architecture's default when omitted. */
  targetLayer?: string;
  /** Longest side of `heatmap` in cells (default 32, at most 64). */
  heatmapSize?: number;
  /** Images per forward/backward pass when explaining several (default 4). */
  batchSize?: number;
  /** As in predictImages: report and skip unreadable images instead of throwing. */
  onBadImage?: (file: string, error: TimError) => void;
  /** Show the raw softmax even when the run has a calibration.json. */
  uncalibrated?: boolean;
}

export interface Explanation {
  file: string;
  /** Predicted class, its probability, and the top 3. */
  label: string;
  confidence: number;
  top: RankedClass[];
  /** The unknown-artist score and decision, and whether the probabilities are calibrated. */
  unknown: Confidence;
  /** The class the map explains and its probability (the prediction unless one was named). */
  explained: RankedClass;
  method: string;
  methodTitle: string;
  targetLayer: string;
  /** The normalised map over the picture area only, ≤ heatmapSize cells a side, rows of 0–1. */
  heatmap: number[][];
  /** The same map at model resolution over the picture area (for overlays and metrics). */
  contentMap: Map2D;
  /** Where the picture lies in the model's square input. */
  box: ContentBox;
  imageSize: number;
  /** How many artists the run knows (for "not confidently one of the N artists"). */
  artists: number;
}

/** Explains several images, batched; see explainImage. */
export async function explainImages(run: InferenceRun, files: readonly string[], opts: ExplainOptions = {}): Promise<Explanation[]> {
  const method = getCamMethod(opts.method ?? 'gradcam');
  const targetLayer = opts.targetLayer ?? run.tm.spec.camTargetLayer;
  const cam = camExplainer(run.tm.model, targetLayer);
  const classIndex = opts.className !== undefined ? resolveClass(opts.className, run.labels) : undefined;
  const heatmapSize = Math.min(64, Math.max(1, Math.round(opts.heatmapSize ?? 32)));
  const batchSize = Math.max(1, opts.batchSize ?? 4);
  const size = run.spec.image_size;
  const n = run.labels.length;
  const out: Explanation[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const batch = await loadBatch(run, files.slice(start, start + batchSize), opts.onBadImage);
    if (!batch) continue;
    let logitValues: Float32Array;
    let mapValues: Float32Array;
    try {
      const { maps, logits } = cam.compute(batch.x, batch.files.map(() => classIndex), method);
      [logitValues, mapValues] = (await Promise.all([logits.data(), maps.data()])) as [Float32Array, Float32Array];
      tf.dispose([maps, logits]);
    } finally {
      batch.x.dispose();
    }
    batch.files.forEach((file, i) => {
      const box = batch.boxes[i] as ContentBox;
      const { probs: p, confidence } = judgeLogits(logitValues.subarray(i * n, (i + 1) * n), run.calibration, opts.uncalibrated);
      const top = topK(p, run.labels, 3);
      const first = top[0] as RankedClass;
      const ci = classIndex ?? run.labels.indexOf(first.label);
      const contentMap = cropToContent(mapValues.subarray(i * size * size, (i + 1) * size * size), size, box);
      out.push({
        file,
        label: first.label,
        confidence: first.confidence,
        top,
        unknown: confidence,
        explained: { label: run.labels[ci] ?? first.label, confidence: p[ci] ?? 0 },
        method: method.name,
        methodTitle: method.title,
        targetLayer,
        heatmap: heatmapRows(contentMap, heatmapSize),
        contentMap,
        box,
        imageSize: size,
        artists: n,
      });
    });
  }
  return out;
}

/**
 * Explains one image: preprocessed exactly as the run trained, the top-3 prediction, and the
 * CAM of the predicted (or named) class over the picture area.
 */
export async function explainImage(run: InferenceRun, file: string, opts: ExplainOptions = {}): Promise<Explanation> {
  const [e] = await explainImages(run, [file], { ...opts, onBadImage: undefined });
  if (!e) throw new Error(`no explanation produced for ${file}`);
  return e;
}

/** The JSON form printed by `tim explain --json`. */
export function explanationJson(e: Explanation): Record<string, unknown> {
  return {
    file: e.file,
    label: e.label,
    confidence: e.confidence,
    top: e.top,
    unknown: e.unknown,
    class: e.explained.label,
    class_confidence: e.explained.confidence,
    method: e.method,
    target_layer: e.targetLayer,
    heatmap: e.heatmap,
  };
}
