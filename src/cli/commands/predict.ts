import { printableLines } from '../../core/printable';
import type { Argv, CommandModule } from 'yargs';
import type { BackendChoice } from '../../config/schema';
import { TimError } from '../../core/errors';
import { log, writeOut, writeJson } from '../../core/log';
import { disposeRun, loadRunForInference } from '../../inference/inference-run';
import { predictImages, type Prediction } from '../../inference/predict';
import { displayName, percent } from '../../inference/topk';
import { notConfidentLine, uncalibratedNote } from '../../inference/calibration';
import { latestRun, openRunFolder } from '../../io/run-folder';
import { selectBackend } from '../../runtime/backend';
import { withBackend } from '../common';

interface PredictArgs {
  run?: string;
  files: string[];
  json: boolean;
  'batch-size': number;
  top: number;
  uncalibrated: boolean;
  backend: BackendChoice | undefined;
}

function builder(y: Argv): Argv<PredictArgs> {
  return withBackend(y)
    .positional('files', { type: 'string', array: true, demandOption: true, describe: 'image files' })
    .option('run', { type: 'string', describe: 'run folder whose best model predicts (default: the latest run under checkpoints/)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON list for machines' })
    .option('batch-size', { type: 'number', default: 8, describe: 'images per forward pass' })
    .option('top', { type: 'number', default: 3, describe: 'how many artists to list per image' })
    .option('uncalibrated', { type: 'boolean', default: false, describe: "show the raw softmax instead of the probabilities calibrated by the run's temperature" })
    .check((a) => {
      if (!Number.isInteger(a['batch-size']) || a['batch-size'] < 1) throw new TimError(`--batch-size: expected a positive whole number, got ${a['batch-size']}`);
      if (!Number.isInteger(a.top) || a.top < 1) throw new TimError(`--top: expected a positive whole number, got ${a.top}`);
      if (a.files.length === 0) throw new TimError('name at least one image file');
      return true;
    });
}

export function formatPrediction(p: Prediction, artists: number): string {
  const lines = [p.file];
  if (p.unknown.decision === 'not_confident') lines.push(`  ${notConfidentLine(artists, displayName(p.label), percent(p.confidence))}`);
  p.top.forEach((t, i) => lines.push(`  ${i + 1}. ${displayName(t.label).padEnd(28)} ${percent(t.confidence).padStart(6)}`));
  return lines.join('\n');
}

async function handler(a: PredictArgs): Promise<void> {
  const folder = a.run ? openRunFolder(a.run) : latestRun();
  if (!a.run) log.info(`predicting with the latest run: ${folder.dir}`);
  await selectBackend(a.backend ?? folder.config().runtime.backend, { forTraining: false });
  const run = await loadRunForInference(folder.dir);
  const bad: string[] = [];
  try {
    const predictions = await predictImages(run, a.files, {
      batchSize: a['batch-size'],
      topK: a.top,
      uncalibrated: a.uncalibrated,
      onBadImage: (_file, e) => {
        bad.push(e.message);
        process.stderr.write(`tim: ${printableLines(e.message)}\n`);
      },
    });
    if (a.json) writeJson(predictions, 2);
    else {
      const lines = predictions.map((p) => formatPrediction(p, run.labels.length));
      if (!run.calibration && predictions.length) lines.push(uncalibratedNote(folder));
      writeOut(lines.join('\n') + (lines.length ? '\n' : ''));
    }
  } finally {
    disposeRun(run);
  }
  // Each failure was printed once as it happened; only a summary is added.
  if (bad.length > 1 && bad.length === a.files.length) throw new TimError(`none of the ${bad.length} images could be read`);
  if (bad.length > 0) process.exitCode = 1;
}

export const predictCommand: CommandModule<object, PredictArgs> = {
  command: 'predict <files..>',
  describe: 'top-3 artists with confidence for images, using a run\'s best model',
  builder,
  handler,
};
