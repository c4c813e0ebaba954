import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { progressLine } from '../core/progress';
import { acquireRunLock, type RunLock } from './run-lock';

export interface DownloadOptions {
  /** Full SHA-256 (64 hex digits) or a prefix of it, as torchvision's file names carry. */
  sha256?: string;
  /**
   * Where the expected hash may come from when `sha256` is absent: the Hugging Face hub states
   * an LFS file's SHA-256 in `X-Linked-Etag` on the response that redirects to its CDN.
   */
  trustServerHash?: boolean;
  /** Connections that end early are resumed from where they stopped, this many times. */
  retries?: number;
  /** Show a progress bar (default true). */
  progress?: boolean;
  /** Called with the URL asked for on each connection (tests). */
  onRequest?: (url: string, range: string | undefined) => void;
  /**
   * Seconds to wait for a server's answer, and then for each next part of its body; default
   * TIM_DOWNLOAD_TIMEOUT, else 30.
   */
  timeoutS?: number;
  /** The most MiB accepted, whatever the server says; default TIM_DOWNLOAD_MAX_SIZE, else 1024. */
  maxMiB?: number;
  /** How long to wait for another Tim process downloading the same file; default 10 minutes. */
  lockWaitMs?: number;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  sha256: string;
  /** Bytes that were already on disk from an earlier, interrupted download. */
  resumedFrom: number;
}

/** A network failure that leaves the user to fetch the file by hand. */
export class UnreachableError extends TimError {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach ${url} (${reason})`);
    this.name = 'UnreachableError';
  }
}

const MAX_REDIRECTS = 8;
const MIB = 1024 * 1024;
const DEFAULT_TIMEOUT_S = 30;
const DEFAULT_MAX_MIB = 1024;

/** A positive number from an option, else from the environment variable, else the default. */
function setting(given: number | undefined, env: string, flag: string, fallback: number): number {
  const raw = process.env[env];
  const value = given ?? (raw === undefined || raw === '' ? fallback : Number(raw));
  if (!Number.isFinite(value) || value <= 0) {
    throw new TimError(given !== undefined ? `${flag}: expected a number > 0, got ${given}` : `${env}: expected a number > 0, got '${raw}'`);
  }
  return value;
}

/** The timeout in seconds and the size cap in bytes this download runs under. */
export function downloadLimits(opts: Pick<DownloadOptions, 'timeoutS' | 'maxMiB'>): { timeoutS: number; maxBytes: number } {
  return {
    timeoutS: setting(opts.timeoutS, 'TIM_DOWNLOAD_TIMEOUT', '--timeout', DEFAULT_TIMEOUT_S),
    maxBytes: Math.floor(setting(opts.maxMiB, 'TIM_DOWNLOAD_MAX_SIZE', '--max-size', DEFAULT_MAX_MIB) * MIB),
  };
}

/** The size of the partial download, 0 when there is none; never a link (Tim does not write through one). */
function partSize(part: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(part);
  } catch {
    return 0;
  }
  if (stat.isSymbolicLink()) throw symlinkRefusal(part);
  if (!stat.isFile()) throw new TimError(`${part}: where Tim keeps the partial download there is something that is not a file; remove it`);
  return stat.size;
}

function symlinkRefusal(file: string): TimError {
  return new TimError(`${file}: a symbolic link where Tim writes its download; Tim never writes through a link: remove it and run again`);
}

/** Opens the partial download for writing without following a link planted in its place. */
function openPart(part: string, append: boolean): number {
  const { O_WRONLY, O_CREAT, O_APPEND, O_TRUNC, O_NOFOLLOW } = fs.constants;
  try {
    return fs.openSync(part, O_WRONLY | O_CREAT | O_NOFOLLOW | (append ? O_APPEND : O_TRUNC), 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefusal(part);
    throw e;
  }
}

/** The URL to download, or an error naming what was given. */
function httpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TimError(`'${url}' is not a valid URL (expected http:// or https://...)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TimError(`${url}: a ${parsed.protocol.replace(/:$/, '')} URL; Tim downloads only http and https URLs`);
  return parsed;
}

/** One writer per downloaded file: waits while another Tim process holds its lock, then takes it. */
async function takeDownloadLock(file: string, waitMs: number): Promise<RunLock> {
  const deadline = Date.now() + waitMs;
  for (let told = false; ; told = true) {
    try {
      return acquireRunLock(file);
    } catch (e) {
      if (!(e instanceof TimError) || Date.now() >= deadline) throw e;
      if (!told) log.info(`${file}: another Tim process is downloading it; waiting`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

/** SHA-256 of a file, read in blocks (checkpoints run to hundreds of MB). */
export function sha256OfFile(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 * MIB);
  try {
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

interface Opened {
  response: Response;
  serverSha256?: string;
  /** Aborts the connection (a stalled body). */
  abort: () => void;
}

/** Follows redirects by hand so that headers on the way (the hub's LFS hash) can be read. */
async function open(url: string, range: number, opts: DownloadOptions, timeoutS: number): Promise<Opened> {
  let current = url;
  let serverSha256: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const rangeHeader = range > 0 ? `bytes=${range}-` : undefined;
    opts.onRequest?.(current, rangeHeader);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutS * 1000);
    let response: Response;
    try {
      response = await fetch(current, { redirect: 'manual', headers: rangeHeader ? { Range: rangeHeader } : {}, signal: controller.signal });
    } catch (e) {
      throw new UnreachableError(current, controller.signal.aborted ? `no answer within ${timeoutS} s` : networkReason(e));
    } finally {
      clearTimeout(timer);
    }
    const linked = response.headers.get('x-linked-etag')?.replace(/^W\//, '').replace(/"/g, '');
    if (linked && /^[0-9a-f]{64}$/i.test(linked)) serverSha256 = linked.toLowerCase();
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new TimError(`${url}: ${current} redirects to '${location}', which is not a valid URL`);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new TimError(`${url}: ${current} redirects to ${next.toString()}, a ${next.protocol.replace(/:$/, '')} URL; Tim follows redirects only to http and https`);
      }
      current = next.toString();
      continue;
    }
    return { response, serverSha256, abort: () => controller.abort() };
  }
  throw new TimError(`${url}: more than ${MAX_REDIRECTS} redirects`);
}

class Stalled extends Error {}

/** The next part of a body, or Stalled when none comes within the timeout. */
async function readWithin<T>(read: Promise<T>, timeoutS: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // The read rejects once the connection is aborted after a stall; nobody waits for it then.
  read.catch(() => undefined);
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Stalled()), timeoutS * 1000);
  });
  try {
    return await Promise.race([read, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** Total size from a 200's Content-Length or a 206's Content-Range. */
function totalSize(response: Response, offset: number): number | undefined {
  const range = response.headers.get('content-range');
  const m = range ? /\/(\d+)\s*$/.exec(range) : null;
  if (m?.[1]) return Number(m[1]);
  const length = response.headers.get('content-length');
  return length === null || !/^\d+$/.test(length.trim()) ? undefined : Number(length) + offset;
}

/**
 * Downloads `url` to `file`: into `file.part` first, resumed with an HTTP Range request when a
 * connection ends early (or an earlier run was interrupted), checked against the expected
 * SHA-256 and only then renamed into place, so `file` is never a partial or wrong download.
 * One Tim process at a time writes a file (a lock beside it; others wait); no link planted at
 * `file.part` is written through; a server that answers nothing, stalls, or sends more than it
 * announced or than the size cap is stopped with an error naming the URL.
 */
export async function download(url: string, file: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const expected = opts.sha256?.toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{6,64}$/.test(expected)) {
    throw new TimError(`--sha256: expected 6 to 64 hexadecimal digits, got '${opts.sha256}'`);
  }
  httpUrl(url);
  const limits = downloadLimits(opts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lock = await takeDownloadLock(file, opts.lockWaitMs ?? 10 * 60_000);
  try {
    // Another process may have put the file in place while this one waited.
    if (expected !== undefined && fs.existsSync(file)) {
      const sha256 = sha256OfFile(file);
      if (sha256.startsWith(expected)) return { file, bytes: fs.statSync(file).size, sha256, resumedFrom: 0 };
    }
    return await downloadLocked(url, file, expected, opts, limits);
  } finally {
    lock.release();
  }
}

async function downloadLocked(url: string, file: string, expected: string | undefined, opts: DownloadOptions, limits: { timeoutS: number; maxBytes: number }): Promise<DownloadResult> {
  const { timeoutS, maxBytes } = limits;
  const part = `${file}.part`;
  const retries = opts.retries ?? 5;
  const initial = partSize(part);
  let serverSha256: string | undefined;
  let bar: ReturnType<typeof progressLine> | undefined;
  const discard = (why: string): never => {
    fs.rmSync(part, { force: true });
    throw new TimError(`${url}: ${why}; the partial download was removed`);
  };
  for (let attempt = 0; ; attempt++) {
    const have = partSize(part);
    const opened = await open(url, have, opts, timeoutS);
    const { response } = opened;
    serverSha256 ??= opened.serverSha256;
    if (expected === undefined && !(opts.trustServerHash && serverSha256)) {
      await response.body?.cancel();
      throw new TimError(`${url}: no SHA-256 to check the download against (its file name carries no hash prefix); pass --sha256`);
    }
    if (response.status === 416 && have > 0) {
      // The part file already holds the whole thing (or more): check it as it is.
      await response.body?.cancel();
      break;
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw new TimError(`${url}: the server answered ${response.status} ${response.statusText}`.trim());
    }
    const resumed = response.status === 206 && have > 0;
    const offset = resumed ? have : 0;
    const total = totalSize(response, offset);
    if (total !== undefined && total > maxBytes) {
      await response.body?.cancel();
      throw new TimError(`${url}: the server announces ${total} bytes, more than the ${maxBytes} allowed (--max-size or TIM_DOWNLOAD_MAX_SIZE, in MiB)`);
    }
    const limit = total ?? maxBytes;
    const out = openPart(part, resumed);
    let isOpen = true;
    const close = () => {
      if (isOpen) fs.closeSync(out);
      isOpen = false;
    };
    if (bar === undefined && opts.progress !== false && total !== undefined) {
      bar = progressLine(`downloading ${path.basename(file)} (MiB)`, Math.ceil(total / MIB));
    }
    let written = offset;
    let ended = false;
    try {
      if (!response.body) throw new TimError(`${url}: the response has no body`);
      const reader = response.body.getReader();
      for (let chunk = await readWithin(reader.read(), timeoutS); !chunk.done; chunk = await readWithin(reader.read(), timeoutS)) {
        if (written + chunk.value.length > limit) {
          opened.abort();
          close();
          discard(total === undefined ? `the server sent more than ${maxBytes} bytes without announcing a size (--max-size or TIM_DOWNLOAD_MAX_SIZE, in MiB)` : `the server sent more than the ${total} bytes it announced`);
        }
        fs.writeSync(out, chunk.value);
        written += chunk.value.length;
        bar?.tick(Math.floor(written / MIB));
      }
      ended = total === undefined || written >= total;
    } catch (e) {
      if (e instanceof Stalled) {
        opened.abort();
        throw new TimError(`${url}: the server sent nothing for ${timeoutS} s after ${written} of ${total ?? '?'} bytes (--timeout or TIM_DOWNLOAD_TIMEOUT); run the same command again to resume`);
      }
      // A dropped connection is resumed below; anything Tim itself raised is not retried.
      if (e instanceof TimError) throw e;
    } finally {
      close();
    }
    if (ended) break;
    if (attempt >= retries) {
      throw new TimError(`${url}: the connection ended at ${written} of ${total ?? '?'} bytes ${retries + 1} times; run the same command again to resume`);
    }
  }
  bar?.end();

  const sha256 = sha256OfFile(part);
  const bytes = fs.statSync(part).size;
  const want = expected ?? serverSha256;
  if (want === undefined || !sha256.startsWith(want)) {
    fs.rmSync(part, { force: true });
    throw new TimError(`${url}: SHA-256 ${sha256} does not match the expected ${want ?? '(none)'}; the download was removed`);
  }
  // Under the lock no other Tim process writes the part file, so what was checked is what goes in place.
  fs.renameSync(part, file);
  return { file, bytes, sha256, resumedFrom: initial };
}
