import { printableLines } from '../../core/printable';
import * as fs from 'fs';
import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import type { BackendChoice } from '../../config/schema';
import { TimError } from '../../core/errors';
import { log, writeOut, writeJson } from '../../core/log';
import { IMAGE_FORMATS, isImageFile } from '../../data/formats';
import { camMethodNames } from '../../explain/cam-methods';
import type { ColormapName } from '../../explain/colormap';
import { explainImages, explanationJson, type Explanation } from '../../explain/explain-image';
import { faithfulness, formatFaithfulness, FAITHFULNESS_FILE } from '../../explain/faithfulness';
import { renderOverlayPng } from '../../explain/overlay';
import { atImageSize, disposeRun, loadRunForInference, type InferenceRun } from '../../inference/inference-run';
import { notConfidentLine } from '../../inference/calibration';
import { displayName, percent } from '../../inference/topk';
import { checkFileTarget, writeFileAtomic } from '../../io/atomic';
import { openOutputFolder } from '../../io/output-folder';
import { latestRun, openRunFolder } from '../../io/run-folder';
import { selectBackend } from '../../runtime/backend';
import { withBackend } from '../common';

interface ExplainArgs {
  run?: string;
  image?: string;
  class?: string;
  method: string;
  'target-layer'?: string;
  out?: string;
  json: boolean;
  colormap: ColormapName;
  faithfulness: boolean;
  methods: string;
  limit: number;
  'batch-size': number;
  'image-size'?: number;
  uncalibrated: boolean;
  backend: BackendChoice | undefined;
}


function builder(y: Argv): Argv<ExplainArgs> {
  return withBackend(y)
    .option('run', { type: 'string', describe: 'run folder whose best model is explained (default: the latest run under checkpoints/)' })
    .option('image', { type: 'string', describe: 'an image file, or a folder whose images are all explained' })
    .option('class', { type: 'string', describe: 'artist to explain (default: the predicted one)' })
    .option('method', { type: 'string', default: 'gradcam', describe: `CAM method: ${camMethodNames().join(', ')}` })
    .option('target-layer', { type: 'string', describe: "layer whose activations are explained (default: the architecture's last feature stage)" })
    .option('out', { type: 'string', describe: 'PNG to write (a folder when --image is a folder)' })
    .option('json', { type: 'boolean', default: false, describe: 'print {label, confidence, top, heatmap} as JSON' })
    .option('colormap', { choices: ['viridis', 'inferno'] as const, default: 'viridis' as const, describe: 'colour map of the overlay' })
    .option('faithfulness', { type: 'boolean', default: false, describe: `confidence drop when the most vs least highlighted 20% of held-out images is removed; writes ${FAITHFULNESS_FILE} into the run` })
    .option('methods', { type: 'string', default: 'gradcam,gradcampp,hirescam', describe: 'with --faithfulness: comma-separated methods' })
    .option('limit', { type: 'number', default: 50, describe: 'with --faithfulness: held-out images to use at most' })
    .option('batch-size', { type: 'number', default: 4, describe: 'images per forward/backward pass' })
    .option('image-size', { type: 'number', describe: "feed the model at this square size instead of the run's data.image_size (a finer map; resize and normalisation stay the run's)" })
    .option('uncalibrated', { type: 'boolean', default: false, describe: "show the raw softmax instead of the probabilities calibrated by the run's temperature" })
    .check((a) => {
      const size = a['image-size'];
      if (size !== undefined && (!Number.isInteger(size) || size < 32 || size > 2048)) throw new TimError(`--image-size: expected a whole number of pixels from 32 to 2048, got ${size}`);
      for (const [k, v] of [['limit', a.limit], ['batch-size', a['batch-size']]] as const) {
        if (!Number.isInteger(v) || v < 1) throw new TimError(`--${k}: expected a positive whole number, got ${v}`);
      }
      if (a.faithfulness && a.image) throw new TimError('--faithfulness uses the run\'s held-out images; drop --image');
      if (!a.faithfulness && !a.image) throw new TimError('name an image (--image FILE or folder), or ask for --faithfulness');
      if (!a.faithfulness && !a.out && !a.json) throw new TimError('--out: name the PNG to write (or print the map with --json)');
      return true;
    });
}

function imageFiles(dir: string): string[] {
  const files = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(dir, d.name))
    .filter(isImageFile)
    .sort();
  if (files.length === 0) throw new TimError(`${dir}: no images (${IMAGE_FORMATS.join(', ')}, recognised by their content)`);
  return files;
}

/** Output names in a folder: the image's name with .png, its full name where two would clash. */
function outputNames(files: readonly string[]): string[] {
  const stems = files.map((f) => path.parse(f).name);
  return files.map((f, i) => (stems.filter((s) => s === stems[i]).length > 1 ? `${path.basename(f)}.png` : `${stems[i] ?? 'image'}.png`));
}

function formatExplanation(e: Explanation): string {
  const lines = [e.file];
  if (e.unknown.decision === 'not_confident') lines.push(`  ${notConfidentLine(e.artists, displayName(e.label), percent(e.confidence))}`);
  e.top.forEach((t, i) => lines.push(`  ${i + 1}. ${displayName(t.label).padEnd(28)} ${percent(t.confidence).padStart(6)}`));
  if (e.explained.label !== e.label) lines.push(`  explaining: ${displayName(e.explained.label)} (${percent(e.explained.confidence)})`);
  return lines.join('\n');
}

async function explainFiles(run: InferenceRun, a: ExplainArgs, image: string): Promise<void> {
  const isDir = fs.existsSync(image) && fs.statSync(image).isDirectory();
  const files = isDir ? imageFiles(image) : [image];
  if (a.out && !isDir) checkFileTarget(a.out, '.png');
  // A folder of maps goes only into a new or empty folder, or one Tim filled with maps before.
  if (a.out && isDir) openOutputFolder(a.out, 'explanation maps', outputNames(files));
  const bad: string[] = [];
  const explanations = await explainImages(run, files, {
    method: a.method,
    className: a.class,
    targetLayer: a['target-layer'],
    batchSize: a['batch-size'],
    uncalibrated: a.uncalibrated,
    onBadImage: isDir
      ? (_f, e) => {
          bad.push(e.message);
          process.stderr.write(`tim: ${printableLines(e.message)}\n`);
        }
      : undefined,
  });
  if (a.out) {
    const names = outputNames(explanations.map((e) => e.file));
    for (const [i, e] of explanations.entries()) {
      const target = isDir ? path.join(a.out, names[i] ?? `${i}.png`) : a.out;
      writeFileAtomic(target, await renderOverlayPng(e.file, e, { colormap: a.colormap }));
      log.info(`wrote ${target}`);
    }
  }
  if (a.json) {
    const json = explanations.map(explanationJson);
    writeJson(isDir ? json : json[0]);
  } else {
    writeOut(`${explanations.map(formatExplanation).join('\n')}\n`);
  }
  if (bad.length > 0) process.exitCode = 1;
}

async function handler(a: ExplainArgs): Promise<void> {
  const folder = a.run ? openRunFolder(a.run) : latestRun();
  if (!a.run) log.info(`explaining the latest run: ${folder.dir}`);
  await selectBackend(a.backend ?? folder.config().runtime.backend, { forTraining: false });
  const loaded = await loadRunForInference(folder.dir);
  const size = a['image-size'];
  if (size !== undefined && size !== loaded.spec.image_size) log.info(`feeding the model at ${size} px (it trained at ${loaded.spec.image_size} px)`);
  const run = size === undefined ? loaded : atImageSize(loaded, size);
  try {
    if (a.faithfulness) {
      const methods = a.methods.split(',').map((m) => m.trim()).filter((m) => m !== '');
      const report = await faithfulness(run, { methods, limit: a.limit, batchSize: a['batch-size'], targetLayer: a['target-layer'] });
      if (a.json) writeJson(report, 2);
      else writeOut(`${formatFaithfulness(report)}\n`);
      log.info(`wrote ${path.join(folder.dir, FAITHFULNESS_FILE)}`);
    } else {
      await explainFiles(run, a, a.image as string);
    }
  } finally {
    disposeRun(run);
  }
}

export const explainCommand: CommandModule<object, ExplainArgs> = {
  command: 'explain',
  describe: 'Grad-CAM family heat maps over images, and a faithfulness check of them',
  builder,
  handler,
};
