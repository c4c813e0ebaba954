/**
 * Logging goes to stderr so that stdout carries only results (tables, JSON) that other
 * tools may parse.
 */
import { printableJson, printableLines } from './printable';

export type LogLevel = 'quiet' | 'info' | 'verbose';

let level: LogLevel = 'info';

export function setLogLevel(l: LogLevel): void {
  level = l;
}

export function getLogLevel(): LogLevel {
  return level;
}

export const log = {
  info(msg: string): void {
    if (level !== 'quiet') process.stderr.write(`${printableLines(msg)}\n`);
  },
  warn(msg: string): void {
    process.stderr.write(`warning: ${printableLines(msg)}\n`);
  },
  verbose(msg: string): void {
    if (level === 'verbose') process.stderr.write(`${printableLines(msg)}\n`);
  },
};

/** A result for a person on stdout: text Tim composed, control characters from user data in it escaped. */
export function writeOut(text: string): void {
  process.stdout.write(printableLines(text));
}

/** A JSON result on stdout, one line or indented; the characters JSON leaves raw that a terminal would act on are escaped. */
export function writeJson(value: unknown, indent?: number): void {
  process.stdout.write(`${printableJson(JSON.stringify(value, null, indent))}\n`);
}

/** Whether live, redrawn progress lines make sense (a terminal, not a log file or CI). */
export function isInteractive(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}
