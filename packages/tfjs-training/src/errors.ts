/**
 * An error the user can act on: a bad setting (TIM_WASM_THREADS), a tfjs release whose internals
 * this package does not know, a wasm kernel that faulted. An application shows its message as
 * one line and exits with `exitCode`, as it does its own errors (Tim's `isTimError` counts these).
 */
export class TrainingError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'TrainingError';
    this.exitCode = exitCode;
  }
}

/** The message of any thrown value, on one line. */
export function oneLine(e: unknown): string {
  // Errors from Node's own modules may come from another realm (jest), so not `instanceof Error`.
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
