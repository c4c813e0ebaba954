import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { log } from '../../core/log';
import { evaluationSet } from '../../evaluate/evaluate-run';
import { predictItems } from '../../evaluate/predict';
import { bundlePageScript } from '../../core/page';
import type { InferenceRun } from '../../inference/inference-run';
import { replaceOutputFolder, WEB_EXPORT_RULE } from '../../io/output-folder';
import { loadModel } from '../../io/model-io';
import { EXPORT_FILES, EXPORT_WASM_BINARIES, exportLabelsFile, exportPreprocessingFile, metricsFile, webMetadataFile, type AccuracyFigure, type RunFolder, type WebMetadata } from '../../io/run-folder';
import { webPage } from './page';
import { writeWebModel, type Quantization } from './weights';

export { QUANTIZATIONS, type Quantization } from './weights';

const APP_ENTRY = path.join(__dirname, 'app', 'main.ts');

/** The float model's held-out accuracy and interval, from the run's metrics.json. */
export function recordedAccuracy(folder: RunFolder): AccuracyFigure | undefined {
  const m = folder.readIfPresent(metricsFile);
  if (!m) return undefined;
  const b = m.bootstrap.metrics.accuracy;
  return { accuracy: m.accuracy, lo: b.lo, hi: b.hi, n: m.num_samples };
}

/** Held-out accuracy of the model as the page loads it (dequantised weights), when the images are there. */
async function exportedAccuracy(run: InferenceRun, modelDir: string): Promise<AccuracyFigure | undefined> {
  let set;
  try {
    set = evaluationSet(run.folder, run.labels, undefined);
  } catch (e) {
    log.warn(`not measuring the exported weights' accuracy: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  if (!fs.existsSync(set.root)) {
    log.warn(`not measuring the exported weights' accuracy: the run's images (${set.root}) are not here`);
    return undefined;
  }
  const model = await loadModel(modelDir);
  try {
    const p = await predictItems(model, set.root, set.items, run.spec, { batchSize: 8 });
    let correct = 0;
    for (let i = 0; i < p.labels.length; i++) {
      const row = p.probs.subarray(i * p.numClasses, (i + 1) * p.numClasses);
      const top = row.indexOf(Math.max(...row));
      if (top === p.labels[i]) correct++;
    }
    return { accuracy: correct / Math.max(1, p.labels.length), n: p.labels.length };
  } finally {
    model.dispose();
  }
}

export interface WebExportResult {
  out: string;
  quantization: Quantization | 'none';
  weightBytes: number;
  heldOut: NonNullable<WebMetadata['tim']['heldOut']>;
}

/**
 * The page's script: the app, the model layers and the Node-free part of @tim/tfjs-training
 * (`@tim/tfjs-training/ops`), bundled for the browser as they are, with no Node module stubbed.
 */
export function webAppScript(): string {
  return bundlePageScript(APP_ENTRY);
}

/**
 * Writes a static folder that classifies and explains pictures in the browser: index.html,
 * app.js, model.json with its weight shards, labels.json, preprocessing.json, metadata.json, and
 * the wasm backend's binaries. The page runs on WebGPU, WebGL, wasm or cpu, the first that starts.
 */
export async function exportWeb(run: InferenceRun, out: string, quantize: Quantization | undefined): Promise<WebExportResult> {
  const script = webAppScript();
  const floatAccuracy = recordedAccuracy(run.folder);
  let result: WebExportResult | undefined;
  await replaceOutputFolder(
    out,
    'web export',
    async (dir) => {
    const files = await writeWebModel(run.tm.model, dir, quantize, { arch: run.tm.spec.name, numClasses: run.labels.length });
    const exported = quantize ? await exportedAccuracy(run, dir) : floatAccuracy;
    const meta: WebMetadata = {
      tfjsVersion: tf.version_core,
      tmVersion: '2.4.10',
      packageVersion: '0.1.0',
      packageName: 'tim',
      timeStamp: new Date().toISOString(),
      userMetadata: {},
      modelName: path.basename(path.resolve(run.dir)),
      labels: run.labels,
      imageSize: run.spec.image_size,
      tim: {
        arch: run.tm.spec.name,
        run: path.basename(path.resolve(run.dir)),
        camTargetLayer: run.tm.spec.camTargetLayer,
        preprocessing: { resize: run.spec.resize, mean: run.spec.mean, std: run.spec.std },
        quantization: quantize ?? 'none',
        heldOut: { float: floatAccuracy, exported },
        ...(run.calibration ? { calibration: { temperature: run.calibration.temperature, unknownThreshold: run.calibration.unknown.threshold } } : {}),
      },
    };
    webMetadataFile.write(path.join(dir, EXPORT_FILES.metadata), meta);
    exportLabelsFile.write(path.join(dir, EXPORT_FILES.labels), run.labels);
    exportPreprocessingFile.write(path.join(dir, EXPORT_FILES.preprocessing), { ...run.spec, layout: 'NHWC' });
    fs.writeFileSync(path.join(dir, EXPORT_FILES.script), script);
    fs.writeFileSync(path.join(dir, EXPORT_FILES.page), webPage(meta, EXPORT_FILES.script));
    const wasmDist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    for (const name of EXPORT_WASM_BINARIES) fs.copyFileSync(path.join(wasmDist, name), path.join(dir, name));
    result = { out, quantization: quantize ?? 'none', weightBytes: files.bytes, heldOut: meta.tim.heldOut ?? {} };
    },
    WEB_EXPORT_RULE,
  );
  if (!result) throw new Error(`${out}: nothing was written`);
  return result;
}
