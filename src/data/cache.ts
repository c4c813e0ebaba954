import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { RESIZE_MODES, type ResizeMode } from '../config/schema';
import { oneLine, TimError } from '../core/errors';
import { log } from '../core/log';
import { writeJsonAtomic } from '../io/atomic';
import { readJsonFile, readJsonFileIfUsable } from '../io/json-file';
import { progressLine } from '../core/progress';
import { decodeConcurrency, mapConcurrent } from './concurrency';
import { readHead, sniffFormat } from './formats';
import { defaultCacheDir, ensureCacheDir } from './cache-dir';
import { listDataset, type FoundFile } from './index-dataset';
import { prepareImage, reasonLost } from './preprocess';
import type { ContentBox, PreparedImage, SkippedFile } from './types';

/**
 * The on-disk cache of decoded images: every image of a data set, decoded and resized once,
 * stored as raw 8-bit S×S×3 pixels one after another in `<name>.bin`, with `<name>.json`
 * mapping paths to slots. Its name carries a hash of the data set's listing (paths, sizes,
 * modification times) and of the preprocessing, so any change to either gives a new cache.
 */

export const CACHE_VERSION = 1;

export interface CacheSettings {
  image_size: number;
  resize: ResizeMode;
}

const cacheManifestSchema = z.object({
  version: z.literal(CACHE_VERSION),
  key: z.string(),
  image_size: z.number().int().positive(),
  resize: z.enum(RESIZE_MODES),
  count: z.number().int().min(0),
  /** Path -> [slot, box x, y, width, height]. */
  entries: z.record(z.string(), z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()])),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() }) satisfies z.ZodType<SkippedFile>),
});
type CacheManifest = z.infer<typeof cacheManifestSchema>;

export interface PrepareCacheOptions {
  cacheDir?: string;
  /** Rebuild even when a matching cache exists. */
  force?: boolean;
  concurrency?: number;
  /** Show a progress line while building (default true). */
  progress?: boolean;
  /** Warn about each skipped file (default true; off where the data set was just indexed, which warned). */
  warn?: boolean;
}

/** The cache key: a hash of the settings and of every file's path, size and modification time. */
export function cacheKeyOf(files: readonly FoundFile[], settings: CacheSettings): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: CACHE_VERSION, s: settings.image_size, r: settings.resize }));
  for (const f of files) h.update(`\n${f.path}\t${f.size}\t${Math.round(f.mtimeMs)}`);
  return h.digest('hex').slice(0, 16);
}

function baseName(settings: CacheSettings): string {
  return `images-${settings.image_size}-${settings.resize}`;
}

/** A built cache, opened for reading. */
export class DataCache {
  readonly file: string;
  readonly key: string;
  readonly imageSize: number;
  readonly skipped: SkippedFile[];
  /** Whether this call built it (false: an existing one was reused). */
  readonly built: boolean;
  private readonly entries: Map<string, [number, number, number, number, number]>;
  private readonly bytesPerImage: number;
  private whole: Buffer | undefined;
  private fd: number | undefined;

  constructor(binFile: string, manifest: CacheManifest, built: boolean) {
    this.file = binFile;
    this.key = manifest.key;
    this.imageSize = manifest.image_size;
    this.skipped = manifest.skipped;
    this.built = built;
    this.entries = new Map(Object.entries(manifest.entries));
    this.bytesPerImage = manifest.image_size * manifest.image_size * 3;
    const total = fs.statSync(binFile).size;
    // Small caches (the usual case at 64–224 px for a few thousand images) are read once.
    if (total <= 512 * 1024 * 1024) this.whole = fs.readFileSync(binFile);
    else this.fd = fs.openSync(binFile, 'r');
  }

  get size(): number {
    return this.entries.size;
  }

  has(relPath: string): boolean {
    return this.entries.has(relPath);
  }

  paths(): string[] {
    return [...this.entries.keys()];
  }

  private entry(relPath: string): [number, number, number, number, number] {
    const e = this.entries.get(relPath);
    if (!e) throw new TimError(`'${relPath}' is not in the image cache ${this.file} (broken, or added after it was built)`);
    return e;
  }

  box(relPath: string): ContentBox {
    const [, x, y, width, height] = this.entry(relPath);
    return { x, y, width, height };
  }

  /** The pixels of several images, one after another, into `out` (allocated when omitted). */
  async readInto(relPaths: readonly string[], out?: Uint8Array): Promise<Uint8Array> {
    const n = this.bytesPerImage;
    const dest = out ?? new Uint8Array(relPaths.length * n);
    const reads: Promise<unknown>[] = [];
    relPaths.forEach((p, i) => {
      const slot = this.entry(p)[0];
      if (this.whole) {
        dest.set(this.whole.subarray(slot * n, slot * n + n), i * n);
      } else {
        const fd = this.fd as number;
        reads.push(
          new Promise((resolve, reject) =>
            fs.read(fd, dest, i * n, n, slot * n, (err) => (err ? reject(err) : resolve(undefined))),
          ),
        );
      }
    });
    await Promise.all(reads);
    return dest;
  }

  async read(relPath: string): Promise<PreparedImage> {
    return { data: await this.readInto([relPath]), size: this.imageSize, box: this.box(relPath) };
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.whole = undefined;
  }
}

/** The manifest, or undefined when it is missing, damaged or of another version: the cache is then rebuilt. */
function readManifest(file: string): CacheManifest | undefined {
  return readJsonFileIfUsable(file, cacheManifestSchema, (problem) => log.verbose(`rebuilding the image cache: ${problem}`));
}

/**
 * Opens the cache of `root` for these settings, building it first when it is missing or the
 * data set changed. Broken files are skipped with a warning and recorded in the cache.
 */
export async function prepareCache(root: string, settings: CacheSettings, opts: PrepareCacheOptions = {}): Promise<DataCache> {
  const { files } = listDataset(root);
  const dir = opts.cacheDir ?? defaultCacheDir(root);
  const key = cacheKeyOf(files, settings);
  const stem = path.join(dir, `${baseName(settings)}-${key}`);
  const bin = `${stem}.bin`;
  const json = `${stem}.json`;
  if (!opts.force) {
    const m = readManifest(json);
    const bytes = settings.image_size * settings.image_size * 3;
    if (m && m.key === key && fs.existsSync(bin) && fs.statSync(bin).size === m.count * bytes) {
      log.verbose(`reusing image cache ${bin}`);
      return new DataCache(bin, m, false);
    }
  }
  await buildCache(root, files, settings, key, bin, json, opts);
  removeStale(dir, settings, key);
  const m = readJsonFile(json, cacheManifestSchema, 'the image cache just built is damaged');
  return new DataCache(bin, m, true);
}

async function buildCache(
  root: string,
  files: readonly FoundFile[],
  settings: CacheSettings,
  key: string,
  bin: string,
  json: string,
  opts: PrepareCacheOptions,
): Promise<void> {
  ensureCacheDir(path.dirname(bin));
  const bytes = settings.image_size * settings.image_size * 3;
  const tmp = `${bin}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  const entries: CacheManifest['entries'] = {};
  const skipped: SkippedFile[] = [];
  const bar = opts.progress === false ? undefined : progressLine(`caching ${files.length} images at ${settings.image_size} px`, files.length);
  let next = 0;
  const failures = new Array<string | undefined>(files.length);
  try {
    const cacheOne = async (f: FoundFile, i: number): Promise<void> => {
      const file = path.join(root, f.path);
      const why = f.size < 0 ? 'unreadable' : f.size === 0 ? 'zero bytes' : undefined;
      if (why) {
        failures[i] = why;
        return;
      }
      let prepared: PreparedImage;
      try {
        if (!sniffFormat(readHead(file))) {
          failures[i] = 'not an image';
          return;
        }
        prepared = await prepareImage(file, settings);
      } catch (e) {
        failures[i] = oneLine(e).replace(`${file}: `, '');
        return;
      }
      // Each image goes to the next free slot as soon as it is decoded, so memory holds
      // only the images in flight, never the whole data set.
      const slot = next++;
      fs.writeSync(fd, prepared.data, 0, bytes, slot * bytes);
      const b = prepared.box;
      entries[f.path] = [slot, b.x, b.y, b.width, b.height];
      failures[i] = undefined;
    };
    await mapConcurrent(files, opts.concurrency ?? decodeConcurrency(), cacheOne, (done) => bar?.tick(done));
    for (const [i, why] of failures.entries()) {
      if (why !== undefined && reasonLost(why)) await cacheOne(files[i] as FoundFile, i);
    }
  } finally {
    fs.closeSync(fd);
    bar?.end();
  }
  failures.forEach((why, i) => {
    if (why === undefined) return;
    const f = files[i] as FoundFile;
    skipped.push({ path: f.path, reason: why });
    if (opts.warn ?? true) log.warn(`skipping ${path.join(root, f.path)}: ${why}`);
  });
  fs.renameSync(tmp, bin);
  const manifest: CacheManifest = { version: CACHE_VERSION, key, image_size: settings.image_size, resize: settings.resize, count: next, entries, skipped };
  writeJsonAtomic(json, manifest);
}

/** Removes older caches of the same settings (the data set has changed since). */
function removeStale(dir: string, settings: CacheSettings, key: string): void {
  const prefix = `${baseName(settings)}-`;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(prefix) && !name.includes(key) && /\.(bin|json)$/.test(name)) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}
