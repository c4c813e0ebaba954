/**
 * Logging goes to stderr so that stdout carries only results (tables, JSON) that other
 * tools may parse.
 */
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
    if (level !== 'quiet') process.stderr.write(`${msg}\n`);
  },
  warn(msg: string): void {
    process.stderr.write(`warning: ${msg}\n`);
  },
  verbose(msg: string): void {
    if (level === 'verbose') process.stderr.write(`${msg}\n`);
  },
};

/** Whether live, redrawn progress lines make sense (a terminal, not a log file or CI). */
export function isInteractive(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}
