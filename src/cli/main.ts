import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isTimError, oneLine, TimError } from '../core/errors';
import { printableLines } from '../core/printable';
import { setLogLevel } from '../core/log';
import { describeFsError } from '../core/fs-errors';
import { releaseWebGpu } from '../runtime/webgpu/backend';
import { COMMANDS } from './commands';
import type { GlobalArgs } from './common';

/**
 * `--shard -1/2` would be read as the flags -1, -/ and -2: a value that starts with a minus
 * and a digit is joined to its option (`--shard=-1/2`), so the option's own check reports it.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if (/^--[^=]+$/.test(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/**
 * Tim's command line as yargs defines it: every command, the options all of them take, and
 * failures as TimErrors. `main` runs it; the docs test reads each command's `--help` from it.
 */
export function timCli(argv: readonly string[]): Argv<GlobalArgs> {
  let cli = yargs([...argv])
    .scriptName('tim')
    .usage('$0 <command> [options]\n\nFine-tune, evaluate and explain painting-artist classifiers on TensorFlow.js.')
    .option('verbose', { type: 'boolean', default: false, global: true, describe: 'more logging; stack traces on errors' })
    .option('quiet', { type: 'boolean', default: false, global: true, describe: 'only results and errors' })
    .middleware((a) => setLogLevel(a.verbose ? 'verbose' : a.quiet ? 'quiet' : 'info'))
    .demandCommand(1, 'name a command (tim --help lists them)')
    .strict()
    .recommendCommands()
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new TimError(msg);
    });
  // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- each command types its own arguments
  for (const c of COMMANDS) cli = cli.command(c);
  return cli;
}

export async function main(rawArgv: string[]): Promise<number> {
  const argv = joinNegativeValues(rawArgv);
  const verbose = argv.includes('--verbose');
  const cli = timCli(argv);
  try {
    await cli.parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // A file-system error no code turned into a TimError still names its path and what was expected.
    const fsMessage = isTimError(e) ? undefined : describeFsError(e);
    process.stderr.write(`tim: ${printableLines(fsMessage ?? oneLine(e))}\n`);
    if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return isTimError(e) ? e.exitCode : 1;
  } finally {
    // A live WebGPU device keeps Node running; the job is over.
    releaseWebGpu();
  }
}

if (require.main === module || process.argv[1]?.endsWith('tim.js')) {
  void main(hideBin(process.argv)).then((code) => {
    process.exitCode = code;
  });
}
