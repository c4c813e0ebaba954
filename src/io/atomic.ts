import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';
import { makeDirs } from './make-dirs';

/**
 * Folder swaps go through sibling names that say how far a swap got, so that a process killed
 * at any instant leaves something `recoverSwap` can finish:
 *   `.<name>.tmp-*`  being filled: incomplete, thrown away;
 *   `.<name>.new-*`  complete, not yet in place;
 *   `.<name>.old-*`  the previous folder, moved aside just before the new one goes in.
 */
const TMP = 'tmp';
const NEW = 'new';
const OLD = 'old';

let sequence = 0;

function tempSibling(target: string, tag: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${tag}-${process.pid}-${Date.now().toString(36)}-${(sequence++).toString(36)}`);
}

/**
 * Refuses, before any work, a file path that is an existing folder (`--out some-folder`); the hint
 * names a file of the kind expected (`ext`, else the path's own extension).
 */
export function checkFileTarget(file: string, ext?: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return;
  }
  if (!stat.isDirectory()) return;
  const kind = ext ?? path.extname(file);
  throw new TimError(`${file}: is a folder; expected a file name${kind ? ` (e.g. ${path.join(file, `out${kind}`)})` : ''}`);
}

/** Writes a file under a temporary name and renames it, so readers never see half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  checkFileTarget(file);
  makeDirs(path.dirname(file));
  const tmp = tempSibling(file, TMP);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Swap siblings of `target` by stage, newest last (names carry pid, time and a sequence number). */
function swapSiblings(target: string): Record<string, string[]> {
  const parent = path.dirname(target);
  const prefix = `.${path.basename(target)}.`;
  const found: Record<string, string[]> = { [TMP]: [], [NEW]: [], [OLD]: [] };
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return found;
  }
  for (const name of names.sort()) {
    if (!name.startsWith(prefix)) continue;
    const tag = name.slice(prefix.length).split('-')[0] ?? '';
    found[tag]?.push(path.join(parent, name));
  }
  return found;
}

/**
 * Finishes or undoes a swap that a killed process left half done, so that `target` exists
 * whenever it existed before the swap began. The newest complete folder wins.
 * Call it only while no other process is writing `target` (the run-folder lock).
 */
export function recoverSwap(target: string): void {
  const found = swapSiblings(target);
  const fresh = found[NEW] ?? [];
  const old = found[OLD] ?? [];
  const newest = fresh[fresh.length - 1];
  if (newest) {
    if (fs.existsSync(target)) fs.renameSync(target, tempSibling(target, OLD));
    fs.renameSync(newest, target);
  } else if (!fs.existsSync(target)) {
    const previous = old[old.length - 1];
    if (previous) fs.renameSync(previous, target);
  }
  const leftovers = swapSiblings(target);
  for (const p of [...(leftovers[TMP] ?? []), ...(leftovers[NEW] ?? []), ...(leftovers[OLD] ?? [])]) fs.rmSync(p, { recursive: true, force: true });
}

/**
 * Puts the complete folder `ready` in place of `dir`. Every instant of it is recoverable:
 * `ready` is first renamed to a `.new-` sibling, so a kill before the last rename leaves a
 * complete folder that `recoverSwap` moves in.
 */
export function swapDirInto(ready: string, dir: string): void {
  const staged = tempSibling(dir, NEW);
  fs.renameSync(ready, staged);
  if (fs.existsSync(dir)) {
    const old = tempSibling(dir, OLD);
    fs.renameSync(dir, old);
    fs.renameSync(staged, dir);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(staged, dir);
  }
}

/**
 * Fills a folder through `fill(tmpDir)` and then swaps it in place of `dir`. An interruption
 * leaves either the old folder or the new one (after `recoverSwap`), never a mixture.
 */
export async function replaceDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  makeDirs(path.dirname(dir));
  const tmp = tempSibling(dir, TMP);
  fs.mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  swapDirInto(tmp, dir);
}

/** A new, empty hidden sibling of `dir` to build a replacement in (removed by `recoverSwap` if abandoned). */
export function stagingFolder(dir: string): string {
  makeDirs(path.dirname(path.resolve(dir)));
  const staging = tempSibling(dir, TMP);
  fs.mkdirSync(staging);
  return staging;
}
