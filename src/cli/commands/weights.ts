import type { CommandModule } from 'yargs';
import { TimError } from '../../core/errors';
import { log, writeOut, writeJson } from '../../core/log';
import { archNames, countParameters, loadPretrained, saveTimModel } from '../../models';
import { WEIGHT_SOURCES, type WeightSource } from '../../models/weights/catalog';
import { fetchWeights } from '../../models/weights/fetch';
import { describeWeightFile, formatWeightInfo } from '../../models/weights/info';
import { checkOutputFolder, IMPORTED_MODEL_RULE, outputMarkerFor } from '../../io/output-folder';
import { MODEL_JSON, WEIGHTS_BIN } from '../../io/model-io';

interface ImportArgs {
  arch: string;
  from: string;
  out: string;
  'num-classes': number | undefined;
  'image-size': number | undefined;
}

const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import',
  describe: 'write a Tim model folder from a .pth/.pt, .safetensors or converted Keras model.json',
  builder: (y) =>
    y
      .option('arch', { type: 'string', demandOption: true, describe: `architecture: ${archNames().join(', ')}` })
      .option('from', { type: 'string', demandOption: true, describe: 'weight file (torchvision or timm names; Keras ConvNeXt-Tiny model.json)' })
      .option('out', { type: 'string', demandOption: true, describe: 'model folder to write (model.json + weights.bin)' })
      .option('num-classes', { type: 'number', describe: 'replace the file’s classifier with a fresh one of this size (default: keep it)' })
      .option('image-size', { type: 'number', describe: 'declare this square input size in model.json (default: any size; the weights run at every size either way)' })
      .check((a) => {
        const size = a['image-size'];
        if (size !== undefined && (!Number.isInteger(size) || size < 32)) throw new TimError(`--image-size: expected a whole number of pixels, at least 32, got ${size}`);
        const n = a['num-classes'];
        if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new TimError(`--num-classes: expected a positive whole number, got ${n}`);
        return true;
      }),
  handler: async (a) => {
    const size = a['image-size'];
    checkOutputFolder(a.out, 'model folder', IMPORTED_MODEL_RULE);
    const tm = await loadPretrained(a.arch, a.from, { numClasses: a['num-classes'], inputSize: size });
    checkOutputFolder(a.out, 'model folder', IMPORTED_MODEL_RULE);
    await saveTimModel(tm, a.out, { extraFiles: outputMarkerFor('model folder', [MODEL_JSON, WEIGHTS_BIN]), metadata: { importedFrom: a.from, ...(size === undefined ? {} : { imageSize: size }) } });
    log.info(`wrote ${a.out}`);
    const result = { arch: tm.spec.name, from: a.from, out: a.out, numClasses: tm.numClasses, imageSize: size ?? null, parameters: countParameters(tm.model) };
    tm.model.dispose();
    writeJson(result);
  },
};

interface InfoArgs {
  file: string;
  json: boolean;
}

const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info <file>',
  describe: 'list what a weight file holds: format, tensors (name, dtype, shape), likely architecture',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: '.pth/.pt, .safetensors, or a tfjs model.json (or its folder)' })
      .option('json', { type: 'boolean', default: false, describe: 'print as JSON' }),
  handler: (a) => {
    const info = describeWeightFile(a.file);
    if (a.json) writeJson(info, 2);
    else writeOut(`${formatWeightInfo(info)}\n`);
  },
};

interface FetchArgs {
  target: string;
  source: WeightSource;
  sha256: string | undefined;
  out: string | undefined;
  timeout: number | undefined;
  'max-size': number | undefined;
}

const fetchCommand: CommandModule<object, FetchArgs> = {
  command: 'fetch <target>',
  describe: 'download an architecture’s ImageNet weights (or any checkpoint URL), verified by SHA-256 and resumable',
  builder: (y) =>
    y
      .positional('target', { type: 'string', demandOption: true, describe: `an architecture (${archNames().filter((a) => a !== 'tiny_cnn').join(', ')}) or an http(s) URL` })
      .option('source', { choices: WEIGHT_SOURCES, default: WEIGHT_SOURCES[0], describe: 'whose weights: torchvision’s .pth or timm’s .safetensors on the Hugging Face hub' })
      .option('sha256', { type: 'string', describe: 'expected SHA-256 (full or a prefix); default: the known hash, or the prefix in the file name' })
      .option('out', { type: 'string', describe: 'folder to write into (default: $TIM_HOME/weights, else weights/)' })
      .option('timeout', { type: 'number', describe: 'seconds to wait for the server to answer and for each next part of the file (default: $TIM_DOWNLOAD_TIMEOUT, else 30)' })
      .option('max-size', { type: 'number', describe: 'largest download accepted, in MiB (default: $TIM_DOWNLOAD_MAX_SIZE, else 1024)' }),
  handler: async (a) => {
    const r = await fetchWeights({ target: a.target, source: a.source, sha256: a.sha256, out: a.out, timeoutS: a.timeout, maxMiB: a['max-size'] });
    log.info(r.cached ? `${r.file} is already there (SHA-256 checked)` : `wrote ${r.file}`);
    writeJson(r);
  },
};

export const weightsCommand: CommandModule = {
  command: 'weights <command>',
  describe: 'fetch, import and inspect pretrained weights',
  builder: (y) =>
    y
      .command(fetchCommand as CommandModule)
      .command(importCommand as CommandModule)
      .command(infoCommand as CommandModule)
      .demandCommand(1, 'name a weights command: fetch, import or info'),
  handler: () => undefined,
};
