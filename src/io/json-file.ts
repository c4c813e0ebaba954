import * as fs from 'fs';
import type { z } from 'zod';
import { oneLine, TimError } from '../core/errors';
import { describeIssue } from '../core/zod-issue';

/**
 * JSON text checked against its schema, so damaged or hand-edited JSON is one line naming
 * where it came from (`source`: a file, a file's line, a child process) and the key, rather
 * than a crash further on. `consequence` says what the damage means for the command
 * ("resume cannot continue from it").
 */
export function parseJsonText<S extends z.ZodType>(text: string, source: string, schema: S, consequence?: string): z.output<S> {
  const tail = consequence ? `; ${consequence}` : '';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TimError(`${source}: not valid JSON (${oneLine(e)})${tail}`);
  }
  const result = schema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const first = result.error.issues[0];
    throw new TimError(`${first ? describeIssue(first, source, schema) : `${source}: unexpected contents`}${tail}`);
  }
  return result.data;
}

/** Reads a JSON file Tim wrote earlier and checks it against its schema (see `parseJsonText`). */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S, consequence?: string): z.output<S> {
  if (!fs.existsSync(file)) throw new TimError(`${file}: missing${consequence ? `; ${consequence}` : ''}`);
  return parseJsonText(fs.readFileSync(file, 'utf8'), file, schema, consequence);
}

/**
 * The file checked against its schema, or undefined when it is missing or unusable, for files
 * whose loss costs only time (a cache to rebuild) or that a report shows what it can of:
 * `onProblem` hears why an existing file was not used.
 */
export function readJsonFileIfUsable<S extends z.ZodType>(file: string, schema: S, onProblem: (message: string) => void): z.output<S> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return readJsonFile(file, schema);
  } catch (e) {
    // Read errors too (the file removed or replaced in between): the caller goes on without it.
    onProblem(oneLine(e));
    return undefined;
  }
}

/** The last line of a child process's output that is a JSON object, checked against `schema`. */
export function lastJsonLine<S extends z.ZodType>(stdout: string, source: string, schema: S): z.output<S> {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (!line) throw new TimError(`${source} printed no JSON result`);
  return parseJsonText(line, `${source}'s result`, schema);
}
