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

/** `--config` and `--set`; `required: false` where a command can find its config elsewhere (`train --resume` reads the run's). */
export function withConfig<T>(y: Argv<T>): Argv<T & { config: string; set: string[] }>;
export function withConfig<T>(y: Argv<T>, opts: { required: false }): Argv<T & { config: string | undefined; set: string[] }>;
export function withConfig<T>(y: Argv<T>, opts: { required: boolean } = { required: true }): Argv<T & { config: string | undefined; set: string[] }> {
  return y
    .option('config', {
      alias: 'c',
      type: 'string',
      demandOption: opts.required,
      describe: 'YAML config: a path, or a name in configs/ (e.g. convnext_tiny.yaml)',
    })
    .option('set', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'override a config key, e.g. --set train.epochs=3 (repeatable)',
    });
}
