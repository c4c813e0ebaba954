import type { Argv, CommandModule } from 'yargs';
import { COMPARE_ARCHS, compareTable, runCompare } from '../../../bench/compare';
import { runDataBench } from '../../../bench/data';
import { dispatchTable, runDispatchReport } from '../../../bench/dispatches';
import { EPOCH_CONFIGS, epochTable, runEpochBench, runTimEpoch } from '../../../bench/epoch';
import type { KernelTime } from '../../../bench/kernel-profile';
import { runMemoryBench } from '../../../bench/memory';
import { runModelBench, type BenchMode } from '../../../bench/model-bench';
import { BACKEND_CHOICES, type BackendChoice } from '../../config/schema';
import { TimError } from '../../core/errors';
import { archNames } from '../../models';

interface ModelArgs {
  arch: string;
  'image-size': number | undefined;
  batch: number;
  'micro-batch': number | undefined;
  steps: number;
  warmup: number;
  backend: BackendChoice | undefined;
  'wasm-threads': number | undefined;
  json: boolean;
  profile: boolean;
  dispatches: boolean;
  'weight-decay': number;
}

function modelOptions(y: Argv): Argv<ModelArgs> {
  return y
    .option('arch', { type: 'string', demandOption: true, describe: `architecture: ${archNames().join(', ')}` })
    .option('image-size', { type: 'number', describe: 'input size in pixels (default 128 for train, 224 for infer)' })
    .option('batch', { type: 'number', default: 8, describe: 'images per step' })
    .option('micro-batch', { type: 'number', describe: "images per forward/backward pass (default: the memory planner's, as tim train)" })
    .option('steps', { type: 'number', default: 3, describe: 'timed steps' })
    .option('warmup', { type: 'number', default: 1, describe: 'untimed steps first' })
    .option('backend', { choices: BACKEND_CHOICES, describe: 'compute backend (default auto)' })
    .option('wasm-threads', { type: 'number', describe: 'XNNPACK threads for the wasm backend (sets TIM_WASM_THREADS; default: one per core)' })
    .option('json', { type: 'boolean', default: false, describe: 'print {"backend","ms_per_image","peak_rss_mb"}' })
    .option('profile', { type: 'boolean', default: false, describe: 'also time every kernel of the timed steps and list the slowest (on webgpu: GPU time from timestamp queries)' })
    .option('weight-decay', { type: 'number', default: 0, describe: "train: AdamW's decoupled weight decay on the weights training decays (train.weight_decay; 0: Adam)" })
    .option('dispatches', {
      type: 'boolean',
      default: false,
      describe: "train on webgpu: record one step's GPU dispatches (by program and kernel, serial work of every convolution, peak memory) without running them, with Tim's kernels and the stock ones",
    });
}

function positiveInteger(key: string, v: number | undefined): void {
  if (v === undefined || !Number.isInteger(v) || v < 1) throw new TimError(`--${key} must be a positive integer, got ${v}`);
}

/** Multiply-adds per second, in billions, where the kernel's are counted. */
const gmacRate = (k: KernelTime): string => (k.macs !== undefined && k.ms > 0 ? (k.macs / k.ms / 1e6).toFixed(1) : '');

/** The slowest kernels, per step, as a Markdown table. */
export function kernelTable(kernels: KernelTime[], steps: number): string {
  const total = kernels.reduce((a, k) => a + k.ms, 0) || 1;
  const rows = kernels
    .slice(0, 20)
    .map((k) => `| ${k.kernel} | ${(k.calls / steps).toFixed(0)} | ${(k.ms / steps).toFixed(1)} | ${((100 * k.ms) / total).toFixed(1)}% | ${gmacRate(k)} |`);
  return ['| kernel | calls/step | ms/step | share | GMAC/s |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

function modelCommand(mode: BenchMode, describe: string): CommandModule<object, ModelArgs> {
  return {
    command: mode,
    describe,
    builder: modelOptions,
    handler: async (argv) => {
      for (const key of ['batch', 'steps'] as const) positiveInteger(key, argv[key]);
      if (argv['micro-batch'] !== undefined) positiveInteger('micro-batch', argv['micro-batch']);
      const decay = argv['weight-decay'];
      if (!Number.isFinite(decay) || decay < 0) throw new TimError(`--weight-decay must be a number of at least 0, got ${decay}`);
      const imageSize = argv['image-size'] ?? (mode === 'train' ? 128 : 224);
      if (argv.dispatches) {
        if (mode !== 'train' || argv.backend !== 'webgpu') throw new TimError(`--dispatches reports a training step on webgpu: use tim bench train --backend webgpu --dispatches, got bench ${mode} --backend ${argv.backend ?? 'auto'}`);
        const reports = await runDispatchReport({ arch: argv.arch, imageSize, batch: argv.batch, microBatch: argv['micro-batch'], warmup: argv.warmup, weightDecay: argv['weight-decay'] });
        process.stdout.write(argv.json ? `${JSON.stringify(reports, null, 2)}\n` : `${dispatchTable(reports)}\n`);
        return;
      }
      if (argv['wasm-threads'] !== undefined) process.env.TIM_WASM_THREADS = String(argv['wasm-threads']);
      const result = await runModelBench({
        mode,
        arch: argv.arch,
        imageSize,
        batch: argv.batch,
        microBatch: argv['micro-batch'],
        steps: argv.steps,
        warmup: argv.warmup,
        backend: argv.backend,
        quiet: argv.json,
        profile: argv.profile,
        weightDecay: argv['weight-decay'],
      });
      if (argv.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        process.stdout.write(
          `${mode} ${argv.arch} ${imageSize}px batch ${argv.batch} in micro-batches of ${result.micro_batch}: ${result.ms_per_image} ms/image on ${result.backend}, peak RSS ${result.peak_rss_mb} MB\n`,
        );
        if (result.kernels) process.stdout.write(`${kernelTable(result.kernels, argv.steps)}\n`);
      }
    },
  };
}

interface CompareArgs {
  arch: string[];
  'train-size': number;
  'infer-size': number;
  batch: number;
  steps: number;
  backend: BackendChoice | undefined;
  'wasm-threads': number | undefined;
  python: string;
  'torch-device': 'cpu' | 'cuda';
  json: boolean;
}

const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare',
  describe: 'the same training and inference steps in Tim and in PyTorch (2 threads); prints Tim/PyTorch ratios',
  builder: (y) =>
    y
      .option('arch', { type: 'string', array: true, default: [...COMPARE_ARCHS], describe: 'backbones to compare' })
      .option('train-size', { type: 'number', default: 128 })
      .option('infer-size', { type: 'number', default: 224 })
      .option('batch', { type: 'number', default: 8 })
      .option('steps', { type: 'number', default: 2 })
      .option('backend', { choices: BACKEND_CHOICES, describe: "Tim's backend (default auto)" })
      .option('wasm-threads', { type: 'number', describe: "XNNPACK threads for Tim's wasm backend (default: one per core)" })
      .option('python', { type: 'string', default: '/usr/bin/python3', describe: 'interpreter with torch and torchvision' })
      .option('torch-device', { choices: ['cpu', 'cuda'] as const, default: 'cpu' as const, describe: "where PyTorch runs: cpu (2 threads), or cuda (a CUDA build of torch; TF32 off and on reported separately)" })
      .option('json', { type: 'boolean', default: false }),
  handler: (argv) => {
    const rows = runCompare({
      archs: argv.arch,
      trainSize: argv['train-size'],
      inferSize: argv['infer-size'],
      batch: argv.batch,
      steps: argv.steps,
      backend: argv.backend,
      wasmThreads: argv['wasm-threads'],
      python: argv.python,
      torchDevice: argv['torch-device'],
    });
    process.stdout.write(argv.json ? `${JSON.stringify(rows, null, 2)}\n` : `${compareTable(rows)}\n`);
  },
};

interface EpochArgs {
  config: string[];
  images: number;
  'micro-batch': number | undefined;
  backend: BackendChoice | undefined;
  python: string;
  torch: boolean;
  workers: number | undefined;
  json: boolean;
}

const epochCommand: CommandModule<object, EpochArgs> = {
  command: 'epoch',
  describe: "one real epoch of shipped configs (224 px, augmentation, batch, Adam groups, validation) on large generated JPEGs, in Tim and in PyTorch's reference recipe",
  builder: (y) =>
    y
      .option('config', { type: 'string', array: true, default: [...EPOCH_CONFIGS], describe: 'configs (name or path)' })
      .option('images', { type: 'number', default: 64, describe: 'generated JPEGs (about 1200x900), split as the config says' })
      .option('micro-batch', { type: 'number', describe: "Tim's images per forward/backward pass (default: the memory planner's)" })
      .option('backend', { choices: BACKEND_CHOICES, describe: "Tim's backend (default wasm)" })
      .option('python', { type: 'string', default: '/usr/bin/python3', describe: 'interpreter with torch and torchvision' })
      .option('torch', { type: 'boolean', default: true, describe: 'also run the PyTorch epoch (--no-torch: Tim only)' })
      .option('workers', { type: 'number', describe: "PyTorch DataLoader workers (default: the script's)" })
      .option('json', { type: 'boolean', default: false }),
  handler: async (argv) => {
    positiveInteger('images', argv.images);
    if (argv.images < 10) throw new TimError(`--images must be at least 10 (a training and a validation split), got ${argv.images}`);
    if (argv['micro-batch'] !== undefined) positiveInteger('micro-batch', argv['micro-batch']);
    if (argv.workers !== undefined && (!Number.isInteger(argv.workers) || argv.workers < 0)) throw new TimError(`--workers must be a whole number, got ${argv.workers}`);
    const rows = await runEpochBench({
      configs: argv.config,
      images: argv.images,
      microBatch: argv['micro-batch'],
      backend: argv.backend,
      python: argv.torch ? argv.python : null,
      workers: argv.workers,
    });
    process.stdout.write(argv.json ? `${JSON.stringify(rows, null, 2)}\n` : `${epochTable(rows)}\n`);
  },
};

interface EpochSideArgs {
  config: string;
  root: string;
  out: string;
  'micro-batch': number | undefined;
  backend: BackendChoice | undefined;
  set: string[];
}

/** Tim's side of `bench epoch`, run in a process of its own. */
const epochSideCommand: CommandModule<object, EpochSideArgs> = {
  command: 'epoch-side',
  describe: false,
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true })
      .option('root', { type: 'string', demandOption: true })
      .option('out', { type: 'string', demandOption: true })
      .option('micro-batch', { type: 'number' })
      .option('backend', { choices: BACKEND_CHOICES })
      .option('set', { type: 'string', array: true, default: [] }),
  handler: async (argv) => {
    const r = await runTimEpoch({ config: argv.config, root: argv.root, out: argv.out, microBatch: argv['micro-batch'], backend: argv.backend, set: argv.set });
    process.stdout.write(`${JSON.stringify(r)}\n`);
  },
};

interface MemoryArgs {
  arch: string[];
  'image-size': number;
  'micro-batch': number[];
  backend: string;
  write: boolean;
}

const memoryCommand: CommandModule<object, MemoryArgs> = {
  command: 'memory',
  describe: "the memory training steps need at a few micro-batch sizes (wasm: the heap's high-water mark; webgpu: the buffer pool's peak, recorded without GPU work); --write updates the planner's table",
  builder: (y) =>
    y
      .option('arch', { type: 'string', array: true, default: [...COMPARE_ARCHS], describe: 'architectures' })
      .option('image-size', { type: 'number', default: 224 })
      .option('micro-batch', { type: 'number', array: true, default: [2, 8], describe: 'micro-batch sizes, each measured in a fresh process' })
      .option('backend', { type: 'string', default: 'wasm', choices: ['wasm', 'webgpu'] })
      .option('write', { type: 'boolean', default: false, describe: 'merge into src/runtime/memory-measured.json' }),
  handler: async (argv) => {
    positiveInteger('image-size', argv['image-size']);
    for (const m of argv['micro-batch']) positiveInteger('micro-batch', m);
    const rows = await runMemoryBench({ archs: argv.arch, imageSize: argv['image-size'], microBatches: argv['micro-batch'], backend: argv.backend, write: argv.write });
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  },
};

const dataBenchCommand: CommandModule = {
  command: 'data',
  describe: 'data pipeline throughput (decode, resize, augment, batch)',
  builder: (y) => y.strict(false),
  handler: async (argv) => {
    await runDataBench(argv);
  },
};

export const benchCommand: CommandModule = {
  command: 'bench <kind>',
  describe: 'benchmarks: train, infer, compare and epoch (against PyTorch), memory, data',
  builder: (y) =>
    y
      .command(modelCommand('train', 'one forward+backward+Adam step on random data; ms per image') as CommandModule)
      .command(modelCommand('infer', 'forward passes in inference mode; ms per image') as CommandModule)
      .command(compareCommand as CommandModule)
      .command(epochCommand as CommandModule)
      .command(epochSideCommand as CommandModule)
      .command(memoryCommand as CommandModule)
      .command(dataBenchCommand)
      .demandCommand(1, 'name a benchmark: train, infer, compare, epoch, memory or data'),
  handler: () => undefined,
};
