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

export function isTimError(e: unknown): e is TimError {
  return e instanceof TimError;
}

/** The message of any thrown value, on one line. */
export function oneLine(e: unknown): string {
  // Errors from Node's own modules may come from another realm (jest), so not `instanceof Error`.
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
