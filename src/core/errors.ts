import { TrainingError } from '@tim/tfjs-training/ops';

/**
 * Errors a user can act on. The CLI prints their message as one line and exits with
 * `exitCode`; anything else is a bug and is reported with its stack under `--verbose`.
 * The training kernels' package throws its own such errors (a bad TIM_WASM_THREADS, a faulted
 * kernel), so Tim's are a kind of them and the CLI treats both alike.
 */
export class TimError extends TrainingError {
  constructor(message: string, exitCode = 1) {
    super(message, exitCode);
    this.name = 'TimError';
  }
}

/** A TimError, or an error of the training kernels' package a user can act on. */
export function isTimError(e: unknown): e is TrainingError {
  return e instanceof TrainingError;
}

export { oneLine } from '@tim/tfjs-training/ops';
