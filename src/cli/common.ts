import type { Argv } from 'yargs';
import { BACKEND_CHOICES, type BackendChoice } from '../config/schema';

/** Options every command accepts. */
export interface GlobalArgs {
  verbose: boolean;
  quiet: boolean;
}

export function withBackend<T>(y: Argv<T>): Argv<T & { backend: BackendChoice | undefined }> {
  return y.option('backend', {
    choices: BACKEND_CHOICES,
    describe: 'compute backend (overrides runtime.backend): auto tries gpu (CUDA), webgpu (a hardware GPU), node, then wasm/cpu',
  });
}

export function withConfig<T>(y: Argv<T>): Argv<T & { config: string; set: string[] }> {
  return y
    .option('config', {
      alias: 'c',
      type: 'string',
      demandOption: true,
      describe: 'YAML config: a path, or a name in configs/ (e.g. convnext_tiny.yaml)',
    })
    .option('set', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'override a config key, e.g. --set train.epochs=3 (repeatable)',
    });
}
