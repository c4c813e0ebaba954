import { execFile } from 'child_process';
import * as path from 'path';

/** The command-line entry point, as `npm run tim` starts it. */
export const TIM_BIN = path.resolve(__dirname, '../../bin/tim.js');

export interface CliRun {
  /** The exit code; 1 when the child was killed or could not start. */
  code: number;
  /** The signal that ended the child, if one did (its timeout, or a crash). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Kills a child still running after this long (none by default). */
  timeoutMs?: number;
}

/**
 * Runs `tim ARGS` in a child Node process, as a user would, with CI=1 (no redrawn progress
 * line), and resolves when it ends, whatever its exit code.
 */
export function runTim(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const settings = { env: { ...process.env, CI: '1' }, maxBuffer: 16 * 1024 * 1024, timeout: options.timeoutMs ?? 0 };
  return new Promise((resolve) => {
    execFile(process.execPath, [TIM_BIN, ...args], settings, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, signal: err?.signal ?? null, stdout, stderr });
    });
  });
}

/**
 * runTim for a command that must succeed: fails, naming the command and its stderr, unless the
 * child exits 0 by itself. A child that needs its timeout to end (a GPU device left open keeps
 * Node running) fails too.
 */
export async function timOk(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const run = await runTim(args, options);
  if (run.signal) throw new Error(`tim ${args.join(' ')} did not exit by itself (${run.signal})\n${run.stderr}`);
  if (run.code !== 0) throw new Error(`tim ${args.join(' ')} exited ${run.code}\n${run.stderr}`);
  return run;
}
