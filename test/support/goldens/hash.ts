import { createHash } from 'crypto';
import type { GoldenEntry } from './types';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export function fileSha256(data: Buffer): string {
  return sha256(data);
}

/** The hash of everything a generator is given: its input files (by name and content) and its argument lists. */
export function inputsSha256(entry: GoldenEntry): string {
  const files = Object.entries(entry.inputs())
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, data]) => [name, sha256(data)]);
  return sha256(JSON.stringify({ script: entry.script, files, runs: entry.runs() }));
}
