import { z } from 'zod';
import { oneLine } from '../core/errors';
import { log } from '../core/log';
import { writeJsonAtomic } from '../io/atomic';
import { readJsonFileIfUsable } from '../io/json-file';

/**
 * What Tim works out per image file and keeps in the data set's cache folder (the file checks,
 * the perceptual hashes): a JSON record of entries by path, each with the size and modification
 * time of the file it came from, so a later run reuses an entry while its file is unchanged.
 */

/** The size and modification time of a file, as an entry was computed from it. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/** Whether `prior` was computed from the file as it is `now`. */
export function unchangedSince(prior: FileStamp | undefined, now: FileStamp): prior is FileStamp {
  return prior !== undefined && prior.size === now.size && prior.mtimeMs === now.mtimeMs;
}

/** The record's entries; none where it is missing, damaged or of another version (`redoing` says what is done instead). */
export function readFileRecord<E extends FileStamp>(file: string, version: number, entry: z.ZodType<E>, redoing: string): Record<string, E> {
  const schema = z.object({ version: z.literal(version), files: z.record(z.string(), entry) });
  return readJsonFileIfUsable(file, schema, (problem) => log.verbose(`${redoing}: ${problem}`))?.files ?? {};
}

/** Writes the record; a cache folder that cannot be written only costs the work again next time. */
export function writeFileRecord(file: string, version: number, files: Record<string, FileStamp>): void {
  try {
    writeJsonAtomic(file, { version, files });
  } catch (e) {
    log.verbose(`could not keep ${file}: ${oneLine(e)}`);
  }
}
