import * as fs from 'fs';
import type { z } from 'zod';
import { oneLine, TimError } from '../core/errors';
import { describeIssue } from '../core/zod-issue';

/**
 * Reads a JSON file Tim wrote earlier and checks it against its schema, so a damaged or
 * hand-edited file is one line naming the file and the key rather than a crash further on.
 * `consequence` says what the damage means for the command ("resume cannot continue from it").
 */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S, consequence?: string): z.output<S> {
  const tail = consequence ? `; ${consequence}` : '';
  if (!fs.existsSync(file)) throw new TimError(`${file}: missing${tail}`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TimError(`${file}: not valid JSON (${oneLine(e)})${tail}`);
  }
  const result = schema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const first = result.error.issues[0];
    throw new TimError(`${first ? describeIssue(first, file, schema) : `${file}: unexpected contents`}${tail}`);
  }
  return result.data;
}
