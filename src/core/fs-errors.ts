/**
 * Errors from Node's file system calls, as one line naming the path, what happened and what was
 * expected, for the CLI's last-resort handler (a TimError from the code that knew better wins).
 */

interface FsError {
  code: string;
  path?: string;
  dest?: string;
  syscall?: string;
  message: string;
}

function asFsError(e: unknown): FsError | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, path, dest, syscall, message } = e as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return { code, path: str(path), dest: str(dest), syscall: str(syscall), message };
}

/** A path as it can be shown on one line: control characters escaped, a very long one shortened in the middle. */
export function shownPath(p: string): string {
  // eslint-disable-next-line no-control-regex -- the control characters are what is escaped
  const escaped = p.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > 120 ? `${escaped.slice(0, 60)}…${escaped.slice(-40)} (${p.length} characters)` : escaped;
}

/** Per code: what happened, and what was expected instead. */
const EXPLAINED: Record<string, (e: FsError, p: string) => string> = {
  EEXIST: (e) => `already exists${e.dest ? ` (moving to ${shownPath(e.dest)})` : ''}; expected a name not yet taken: remove it or choose another`,
  EBUSY: () => 'is busy (in use by another program, or a mount point); expected a file or folder Tim can replace: close what uses it, or choose another',
  ENAMETOOLONG: (_e, p) => {
    const longest = Math.max(...p.split('/').map((part) => Buffer.byteLength(part)));
    return `name too long (its longest part is ${longest} bytes, the whole path ${Buffer.byteLength(p)}); expected at most 255 bytes per name and 4096 in all`;
  },
  ENOENT: () => 'does not exist; expected an existing file or folder (check the path)',
  ENOTDIR: () => 'a part of this path is a file, not a folder; expected folders up to the last name',
  EISDIR: () => 'is a folder; expected a file',
  EACCES: () => 'permission denied; expected a path this user may read and write',
  EPERM: () => 'operation not permitted; expected a path this user may change',
  EROFS: () => 'is on a read-only file system; expected a writable place',
  ENOSPC: () => 'no space left on the device; expected room for what Tim writes (free some, or write elsewhere)',
  EDQUOT: () => 'disk quota exceeded; expected room for what Tim writes',
  ELOOP: () => 'too many symbolic links (a link loop); expected a path that resolves',
  ENOTEMPTY: () => 'folder is not empty; expected an empty folder',
  EXDEV: (e) => `cannot be moved across file systems${e.dest ? ` to ${shownPath(e.dest)}` : ''}; expected both on one device`,
  EMFILE: () => 'too many open files; raise the limit (ulimit -n) or lower data loading concurrency',
};

/** One line for a file-system error, or undefined when `e` is not one. */
export function describeFsError(e: unknown): string | undefined {
  const err = asFsError(e);
  if (!err) return undefined;
  if (err.code === 'ERR_INVALID_ARG_VALUE' && /without null bytes/.test(err.message)) {
    const received = /Received (.*)$/s.exec(err.message)?.[1] ?? 'a path';
    return `${shownPath(received)}: contains a NUL byte (\\x00); expected a path without one`;
  }
  const explain = EXPLAINED[err.code];
  if (!explain) return undefined;
  const p = err.path ?? '';
  return `${p ? shownPath(p) : `a ${err.syscall ?? 'file'} call`}: ${explain(err, p)} (${err.code}${err.syscall ? `, ${err.syscall}` : ''})`;
}
