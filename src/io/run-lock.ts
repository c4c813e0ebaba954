import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeDirs } from './make-dirs';
import { z } from 'zod';
import { TimError } from '../core/errors';
import { readJsonFileIfUsable } from './json-file';

/**
 * One writer per run folder. The lock is a file beside the folder (`.<name>.lock`, so it
 * outlives the folder being swapped), created exclusively and holding who took it. A lock
 * whose process is gone (same host, pid not running, or running but started at another time)
 * is stale and taken over, so a crashed run never blocks the next one.
 */
export const lockOwnerSchema = z.object({
  pid: z.number(),
  hostname: z.string(),
  /** ISO time the lock was taken; only reported, so a lock without it still counts. */
  started: z.string().catch('an unknown time'),
  /** The process's start time as the kernel records it (Linux), to tell a reused pid. */
  proc_start: z.string().optional(),
});
export type LockOwner = z.infer<typeof lockOwnerSchema>;

export interface RunLock {
  readonly file: string;
  release(): void;
}

export function lockFileOf(runDir: string): string {
  const abs = path.resolve(runDir);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.lock`);
}

function procStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name in field 2 may hold spaces, so count from its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs on this machine. */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The owner a lock names; undefined when it is gone or unreadable (perhaps being written this instant). */
function readOwner(file: string): LockOwner | undefined {
  return readJsonFileIfUsable(file, lockOwnerSchema, () => undefined);
}

/** Whether the owner recorded in a lock is still running (unknowable on another host: assumed so). */
export function ownerIsRunning(owner: LockOwner): boolean {
  if (owner.hostname !== os.hostname()) return true;
  if (!processRunning(owner.pid)) return false;
  const now = procStart(owner.pid);
  return owner.proc_start === undefined || now === undefined || now === owner.proc_start;
}

function describe(owner: LockOwner): string {
  return `pid ${owner.pid} on ${owner.hostname}, since ${owner.started}`;
}

/**
 * Removes a stale lock whose content was `text`, by moving it aside first and checking that
 * what was moved is what was read, so a lock another process took in between survives.
 */
function breakStale(file: string, text: string): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return;
  }
  if (fs.readFileSync(aside, 'utf8') !== text) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Someone holds it again; they will be reported.
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Whether this process holds the lock of `runDir` (a writer that may repair its own folder). */
export function heldByThisProcess(runDir: string): boolean {
  const owner = readOwner(lockFileOf(runDir));
  return owner !== undefined && owner.pid === process.pid && owner.hostname === os.hostname();
}

/** Removes the lock of `runDir` if the process that took it is gone; true when none is held. */
export function clearStaleLock(runDir: string): boolean {
  const file = lockFileOf(runDir);
  if (!fs.existsSync(file)) return true;
  const text = fs.readFileSync(file, 'utf8');
  const owner = readOwner(file);
  // Unreadable: perhaps being written this instant; only a writer taking the lock decides.
  if (!owner || ownerIsRunning(owner)) return false;
  breakStale(file, text);
  return true;
}

/** Takes the lock of `runDir` or throws a TimError naming the process that holds it. */
export function acquireRunLock(runDir: string): RunLock {
  const file = lockFileOf(runDir);
  makeDirs(path.dirname(file));
  const me: LockOwner = { pid: process.pid, hostname: os.hostname(), started: new Date().toISOString(), proc_start: procStart(process.pid) };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      let released = false;
      return {
        file,
        release: () => {
          if (released) return;
          released = true;
          const owner = readOwner(file);
          if (owner?.pid === me.pid && owner.hostname === me.hostname) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const owner = readOwner(file);
    if (owner && ownerIsRunning(owner)) {
      throw new TimError(`${runDir}: in use by another Tim process (${describe(owner)}); wait for it to finish, or stop it (the lock ${file} is released when it exits)`);
    }
    if (!owner && text !== '' && attempt === 0) {
      // Written this instant by a process that has not finished writing: look again.
      continue;
    }
    breakStale(file, text);
  }
  throw new TimError(`${runDir}: could not take the run lock ${file}`);
}
