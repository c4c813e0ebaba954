import { TrainingError } from '@tim/tfjs-training/ops';

/**
 * Errors a user can act on. The CLI prints their message as one line and exits with
 * `exitCode`; anything else is a bug and is reported with its stack under `--verbose`.
 */
export class TimError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'TimError';
    this.exitCode = exitCode;
  }
}

/** A TimError, or an error of the training kernels' package a user can act on (a bad TIM_WASM_THREADS, a faulted kernel). */
export function isTimError(e: unknown): e is TimError | TrainingError {
  return e instanceof TimError || e instanceof TrainingError;
}

export { oneLine } from '@tim/tfjs-training/ops';
