import * as path from 'path';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../../config/load';
import { RESIZE_MODES, type ResizeMode } from '../../config/schema';
import { TimError } from '../../core/errors';
import { log, writeOut, writeJson } from '../../core/log';
import { prepareCache } from '../../data/cache';
import { formatDatasetReport, inspectDataset } from '../../data/inspect';
import { renderPreview } from '../../data/preview';
import { synthesizeDataset } from '../../data/synth';
import { withConfig } from '../common';

/** Where `tim data synth` writes by default, and where the quick start looks. */
export const SYNTH_DEFAULT_OUT = path.join('data', 'synthetic-artists');

function positiveInt(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new TimError(`--${name}: expected a positive whole number, got ${v}`);
}

interface SynthArgs {
  out: string;
  seed: number;
  scale: number;
  'extra-artists': number;
}

const synthCommand: CommandModule<object, SynthArgs> = {
  command: 'synth',
  describe: 'write the built-in "synthetic artists" data set (31 procedural painters, ~750 images)',
  builder: (y) =>
    y
      .option('out', { type: 'string', default: SYNTH_DEFAULT_OUT, describe: 'output folder (replaced if it holds an earlier synthetic set)' })
      .option('seed', { type: 'number', default: 42, describe: 'the same seed always paints the same pictures' })
      .option('scale', { type: 'number', default: 1, describe: 'multiplies the number of paintings (1: ~750)' })
      .option('extra-artists', {
        type: 'number',
        default: 0,
        describe: 'add this many artists whose style none of the 31 shares (for data.unknown_classes: "not one of my artists")',
      })
      .check((a) => {
        if (!Number.isInteger(a.seed)) throw new TimError(`--seed: expected a whole number, got ${a.seed}`);
        if (!(a.scale > 0)) throw new TimError(`--scale: expected a positive number, got ${a.scale}`);
        if (!Number.isInteger(a['extra-artists']) || a['extra-artists'] < 0) throw new TimError(`--extra-artists: expected a whole number ≥ 0, got ${a['extra-artists']}`);
        return true;
      }),
  handler: async (a) => {
    const res = await synthesizeDataset(a.out, { seed: a.seed, scale: a.scale, extraArtists: a['extra-artists'] });
    writeJson({ out: a.out, classes: res.classes.length, images: res.count, seed: a.seed });
  },
};

interface InspectArgs {
  dir: string;
  json: boolean;
}

const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <dir>',
  describe: 'classes, counts, imbalance, formats, sizes, aspect ratios and broken files of an image folder',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'image folder with one sub-folder per class' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
  handler: async (a) => {
    const report = await inspectDataset(a.dir);
    if (a.json) writeJson(report, 2);
    else writeOut(`${formatDatasetReport(report)}\n`);
  },
};

interface PrepareArgs {
  root?: string;
  'image-size'?: number;
  resize?: ResizeMode;
  'cache-dir'?: string;
  config?: string;
  set: string[];
  force: boolean;
}

const prepareCommand: CommandModule<object, PrepareArgs> = {
  command: 'prepare',
  describe: 'decode and resize every image once into the on-disk cache that training reads',
  builder: (y) =>
    y
      .option('root', { type: 'string', describe: 'image folder (default: data.root of --config)' })
      .option('image-size', { type: 'number', describe: 'square input size in pixels (default: data.image_size of --config, else 224)' })
      .option('resize', { choices: RESIZE_MODES, describe: 'letterbox keeps the aspect ratio on black; stretch fills the square (default letterbox)' })
      .option('cache-dir', { type: 'string', describe: 'cache folder (default $XDG_CACHE_HOME/tim/<data folder>-<hash>)' })
      .option('config', { alias: 'c', type: 'string', describe: 'take root, image size, resize mode and cache folder from a config' })
      .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a config key (with --config)' })
      .option('force', { type: 'boolean', default: false, describe: 'rebuild even if an up-to-date cache exists' })
      .check((a) => {
        if (!a.root && !a.config) throw new TimError('tim data prepare: give --root DIR (or --config)');
        positiveInt('image-size', a['image-size']);
        return true;
      }),
  handler: async (a) => {
    const data = a.config ? loadConfig(a.config, a.set).config.data : undefined;
    const root = a.root ?? data?.root ?? '';
    const settings = { image_size: a['image-size'] ?? data?.image_size ?? 224, resize: a.resize ?? data?.resize ?? 'letterbox' };
    const started = Date.now();
    const cache = await prepareCache(root, settings, { cacheDir: a['cache-dir'] ?? data?.cache_dir, force: a.force });
    const seconds = (Date.now() - started) / 1000;
    log.info(`${cache.built ? 'built' : 'reused'} image cache of ${cache.size} images (${settings.image_size} px, ${settings.resize}) in ${seconds.toFixed(1)} s`);
    writeJson({ cache: cache.file, images: cache.size, skipped: cache.skipped.length, built: cache.built, seconds: Number(seconds.toFixed(3)) });
    cache.close();
  },
};

interface PreviewArgs {
  config: string;
  set: string[];
  out: string;
  count: number;
  epoch: number;
}

const previewCommand: CommandModule<object, PreviewArgs> = {
  command: 'preview',
  describe: 'write a PNG grid of augmented training samples, as the model sees them',
  builder: (y) =>
    withConfig(y)
      .option('out', { type: 'string', default: 'preview.png', describe: 'PNG file to write' })
      .option('count', { type: 'number', default: 32, describe: 'how many samples' })
      .option('epoch', { type: 'number', default: 0, describe: "which epoch's augmentation to show" })
      .check((a) => {
        positiveInt('count', a.count);
        if (!Number.isInteger(a.epoch) || a.epoch < 0) throw new TimError(`--epoch: expected a whole number >= 0, got ${a.epoch}`);
        return true;
      }),
  handler: async (a) => {
    const { config } = loadConfig(a.config, a.set);
    const res = await renderPreview(config, a.out, { count: a.count, epoch: a.epoch });
    writeJson({ out: a.out, samples: res.count, width: res.width, height: res.height });
  },
};

export const dataCommand: CommandModule = {
  command: 'data <command>',
  describe: 'data sets: synth, inspect, prepare, preview',
  builder: (y) =>
    y
      .command(synthCommand as CommandModule)
      .command(inspectCommand as CommandModule)
      .command(prepareCommand as CommandModule)
      .command(previewCommand as CommandModule)
      .demandCommand(1, 'name a data command: synth, inspect, prepare or preview'),
  handler: () => undefined,
};
