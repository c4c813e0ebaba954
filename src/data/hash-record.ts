import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { oneLine } from '../core/errors';
import { log } from '../core/log';
import { writeJsonAtomic } from '../io/atomic';
import { readJsonFileIfUsable } from '../io/json-file';
import { defaultCacheDir } from './cache-dir';
import { decodeConcurrency, mapConcurrent } from './concurrency';

/**
 * The perceptual hashes of a data set's images, remembered in its cache folder by path, size
 * and modification time (as checked-files.json remembers the file checks), so that a second
 * `train` or `data inspect` decodes only the images added or changed since.
 */
export const HASHES_FILE = 'near-duplicate-hashes.json';

const HASHES_VERSION = 1;

const hashesFileSchema = z.object({
  version: z.literal(HASHES_VERSION),
  /** The hash's method: a record of another method is not used. */
  method: z.string(),
  files: z.record(z.string(), z.object({ size: z.number(), mtimeMs: z.number(), hash: z.string().regex(/^[0-9a-f]{16}$/) })),
});
type HashesFile = z.infer<typeof hashesFileSchema>;
type HashedFile = HashesFile['files'][string];

export interface HashRecordOptions {
  /** The hash's method (recorded; a record of another is ignored). */
  method: string;
  /** Hashes one image file. */
  hashFile: (file: string) => Promise<string>;
  /** Where the record is kept (default: `defaultCacheDir(root)`). */
  cacheDir?: string;
  onProgress?: (done: number) => void;
}

function sizeAndTime(file: string): { size: number; mtimeMs: number } | undefined {
  try {
    const st = fs.statSync(file);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** The hash of every path (relative to `root`), in order: from the record where the file is unchanged, else computed. */
export async function recordedHashes(root: string, paths: readonly string[], opts: HashRecordOptions): Promise<string[]> {
  const file = path.join(opts.cacheDir ?? defaultCacheDir(root), HASHES_FILE);
  const record = readJsonFileIfUsable(file, hashesFileSchema, (problem) => log.verbose(`hashing every image again: ${problem}`));
  const known = record?.method === opts.method ? record.files : {};
  const entries = new Array<HashedFile | undefined>(paths.length);
  let computed = 0;
  const hashes = await mapConcurrent(
    paths,
    decodeConcurrency(),
    async (p, i) => {
      const stat = sizeAndTime(path.join(root, p));
      const prior = known[p];
      if (stat && prior && prior.size === stat.size && prior.mtimeMs === stat.mtimeMs) {
        entries[i] = prior;
        return prior.hash;
      }
      computed++;
      const hash = await opts.hashFile(path.join(root, p));
      if (stat) entries[i] = { ...stat, hash };
      return hash;
    },
    opts.onProgress,
  );
  const now: Record<string, HashedFile> = {};
  paths.forEach((p, i) => {
    const entry = entries[i];
    if (entry) now[p] = entry;
  });
  if (computed > 0 || Object.keys(known).length !== Object.keys(now).length) {
    try {
      writeJsonAtomic(file, { version: HASHES_VERSION, method: opts.method, files: now } satisfies HashesFile);
    } catch (e) {
      // A read-only cache folder only costs hashing again next time.
      log.verbose(`could not record the images' hashes in ${file}: ${oneLine(e)}`);
    }
  }
  return hashes;
}
