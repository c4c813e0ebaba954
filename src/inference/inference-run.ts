import type { TimConfig } from '../config/schema';
import { TimError } from '../core/errors';
import { preprocessSpecOf } from '../data/preprocess';
import type { PreprocessSpec } from '../data/types';
import { openRunFolder, type RunFolder } from '../io/run-folder';
import { loadTimModel, type TimModel } from '../models';
import { readRunCalibration, type RunCalibration } from './calibration';

/** A trained run ready for inference: its best model, class names and preprocessing. */
export interface InferenceRun {
  dir: string;
  folder: RunFolder;
  tm: TimModel;
  labels: string[];
  /** Exactly the preprocessing the run trained with, read from its config.yaml. */
  spec: PreprocessSpec;
  config: TimConfig;
  /** The run's calibration.json: undefined for a run not evaluated since calibration existed. */
  calibration?: RunCalibration;
}

/**
 * Loads `best/`, `labels.json` and the preprocessing recorded in the run's `config.yaml`.
 * The preprocessing never comes from flags: an evaluation, explanation or prediction of an
 * image fed differently from training would be of a different model.
 */
export async function loadRunForInference(runDir: string): Promise<InferenceRun> {
  const folder = openRunFolder(runDir);
  const config = folder.config();
  const labels = folder.labels();
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
    throw new TimError(`${folder.file('labels')}: expected a non-empty JSON list of class names`);
  }
  const calibration = readRunCalibration(folder);
  const bestDir = folder.file('best');
  const tm = await loadTimModel(bestDir);
  const outputs = tm.model.outputs[0]?.shape.at(-1);
  if (typeof outputs === 'number' && outputs !== labels.length) {
    tm.model.dispose();
    throw new TimError(`${folder.file('labels')}: ${labels.length} class names but ${bestDir} outputs ${outputs} classes`);
  }
  return { dir: folder.dir, folder, tm, labels, spec: preprocessSpecOf(config), config, ...(calibration ? { calibration } : {}) };
}

/**
 * The same run fed at another square size: resize mode and normalisation stay the run's. The
 * models take any size, so an explanation can be drawn at a finer resolution than training's.
 */
export function atImageSize(run: InferenceRun, imageSize: number): InferenceRun {
  return { ...run, spec: { ...run.spec, image_size: imageSize } };
}

/** Frees the model's weights. */
export function disposeRun(run: InferenceRun): void {
  run.tm.model.dispose();
}
