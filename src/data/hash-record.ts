import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { defaultCacheDir } from './cache-dir';
import { decodeConcurrency, mapConcurrent } from './concurrency';
import { type FileStamp, readFileRecord, unchangedSince, writeFileRecord } from './file-record';

/**
 * The perceptual hashes of a data set's images, kept in its cache folder as a file record (as
 * the file checks are), one record per hash method, so that a second `train` or `data inspect`
 * decodes only the images added or changed since.
 */
export const hashesFile = (method: string): string => `near-duplicate-hashes-${method}.json`;

const HASHES_VERSION = 1;

const hashedFileSchema = z.object({ size: z.number(), mtimeMs: z.number(), hash: z.string().regex(/^[0-9a-f]{16}$/) });
type HashedFile = z.infer<typeof hashedFileSchema>;

export interface HashRecordOptions {
  /** The hash's method: each has a record of its own. */
  method: string;
  /** Hashes one image file. */
  hashFile: (file: string) => Promise<string>;
  /** Where the record is kept (default: `defaultCacheDir(root)`). */
  cacheDir?: string;
  onProgress?: (done: number) => void;
}

function stampOf(file: string): FileStamp | undefined {
  try {
    const st = fs.statSync(file);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** The hash of every path (relative to `root`), in order: from the record where the file is unchanged, else computed. */
export async function recordedHashes(root: string, paths: readonly string[], opts: HashRecordOptions): Promise<string[]> {
  const file = path.join(opts.cacheDir ?? defaultCacheDir(root), hashesFile(opts.method));
  const known = readFileRecord(file, HASHES_VERSION, hashedFileSchema, 'hashing every image again');
  const entries = new Array<HashedFile | undefined>(paths.length);
  let computed = 0;
  const hashes = await mapConcurrent(
    paths,
    decodeConcurrency(),
    async (p, i) => {
      const stamp = stampOf(path.join(root, p));
      const prior = known[p];
      if (stamp && unchangedSince(prior, stamp)) {
        entries[i] = prior;
        return prior.hash;
      }
      computed++;
      const hash = await opts.hashFile(path.join(root, p));
      if (stamp) entries[i] = { ...stamp, hash };
      return hash;
    },
    opts.onProgress,
  );
  const now: Record<string, HashedFile> = {};
  paths.forEach((p, i) => {
    const entry = entries[i];
    if (entry) now[p] = entry;
  });
  if (computed > 0 || Object.keys(known).length !== Object.keys(now).length) writeFileRecord(file, HASHES_VERSION, now);
  return hashes;
}
