import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';
import { progressLine } from '../core/progress';

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
}

/** Follows redirects by hand so that headers on the way (the hub's LFS hash) can be read. */
async function open(url: string, range: number, opts: DownloadOptions): Promise<Opened> {
  let current = url;
  let serverSha256: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const rangeHeader = range > 0 ? `bytes=${range}-` : undefined;
    opts.onRequest?.(current, rangeHeader);
    let response: Response;
    try {
      response = await fetch(current, { redirect: 'manual', headers: rangeHeader ? { Range: rangeHeader } : {} });
    } catch (e) {
      throw new UnreachableError(current, networkReason(e));
    }
    const linked = response.headers.get('x-linked-etag')?.replace(/^W\//, '').replace(/"/g, '');
    if (linked && /^[0-9a-f]{64}$/i.test(linked)) serverSha256 = linked.toLowerCase();
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      current = new URL(location, current).toString();
      continue;
    }
    return { response, serverSha256 };
  }
  throw new TimError(`${url}: more than ${MAX_REDIRECTS} redirects`);
}

/** Total size from a 200's Content-Length or a 206's Content-Range. */
function totalSize(response: Response, offset: number): number | undefined {
  const range = response.headers.get('content-range');
  const m = range ? /\/(\d+)\s*$/.exec(range) : null;
  if (m?.[1]) return Number(m[1]);
  const length = response.headers.get('content-length');
  return length === null ? undefined : Number(length) + offset;
}

/**
 * Downloads `url` to `file`: into `file.part` first, resumed with an HTTP Range request when a
 * connection ends early (or an earlier run was interrupted), checked against the expected
 * SHA-256 and only then renamed into place, so `file` is never a partial or wrong download.
 */
export async function download(url: string, file: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const expected = opts.sha256?.toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{6,64}$/.test(expected)) {
    throw new TimError(`--sha256: expected 6 to 64 hexadecimal digits, got '${opts.sha256}'`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const part = `${file}.part`;
  const retries = opts.retries ?? 5;
  const initial = fs.existsSync(part) ? fs.statSync(part).size : 0;
  let serverSha256: string | undefined;
  let bar: ReturnType<typeof progressLine> | undefined;
  for (let attempt = 0; ; attempt++) {
    const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
    const opened = await open(url, have, opts);
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
    const out = fs.openSync(part, resumed ? 'a' : 'w');
    if (bar === undefined && opts.progress !== false && total !== undefined) {
      bar = progressLine(`downloading ${path.basename(file)} (MiB)`, Math.ceil(total / MIB));
    }
    let written = offset;
    let ended = false;
    try {
      if (!response.body) throw new TimError(`${url}: the response has no body`);
      const reader = response.body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        fs.writeSync(out, chunk.value);
        written += chunk.value.length;
        bar?.tick(Math.floor(written / MIB));
      }
      ended = total === undefined || written >= total;
    } catch (e) {
      // A dropped connection is resumed below; anything Tim itself raised is not retried.
      if (e instanceof TimError) throw e;
    } finally {
      fs.closeSync(out);
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
  fs.renameSync(part, file);
  return { file, bytes, sha256, resumedFrom: initial };
}
