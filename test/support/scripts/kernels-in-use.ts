/**
 * Runs `tim train` (train()) or `tim bench train` (runModelBench) on a tiny model, on cpu and then
 * wasm, in this fresh process, and prints the kernels Tim installed for each backend and whether
 * lean back-propagation was on: what the command trained with.
 *   node -r tsx/cjs kernels-in-use.ts train|bench <data root> <work dir>
 */
import * as path from 'path';
import { leanBackpropInstalled, registeredKernels } from '@tim/tfjs-training';
import { runModelBench } from '../../../bench/model-bench';
import { parseConfig } from '../../../src/config/load';
import { train } from '../../../src/train';

async function runOn(command: string, backend: 'cpu' | 'wasm', dataRoot: string, work: string): Promise<void> {
  if (command === 'bench') {
    await runModelBench({ mode: 'train', arch: 'tiny_cnn', imageSize: 16, batch: 2, steps: 1, warmup: 0, backend });
    return;
  }
  const config = parseConfig({
    name: `kernels-${backend}`,
    seed: 7,
    data: { root: dataRoot, image_size: 16, val_fraction: 0.34, cache: false },
    model: { arch: 'tiny_cnn' },
    train: { epochs: 1, batch_size: 4 },
    runtime: { backend },
  });
  await train(config, { out: path.join(work, backend), force: true });
}

async function main(): Promise<void> {
  const [command = '', dataRoot = '', work = ''] = process.argv.slice(2);
  const used: Record<string, { kernels: string[]; leanBackprop: boolean }> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await runOn(command, backend, dataRoot, work);
    used[backend] = { kernels: registeredKernels(backend).sort(), leanBackprop: leanBackpropInstalled() };
  }
  process.stdout.write(`${JSON.stringify(used)}\n`);
}

void main();
