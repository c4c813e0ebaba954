import * as fs from 'fs';
import { z } from 'zod';
import { oneLine, TimError } from '../../core/errors';
import { describeIssue } from '../../core/zod-issue';
import { writeFileAtomic } from '../atomic';
import { parseJsonText } from '../json-file';

/**
 * One JSON file Tim writes (into a run, a sweep or an export) and reads back: its name, its
 * schema, and the reader and writer that go through that schema, so the file has one definition.
 *
 * The schema describes the file as it lies on disk. A figure that can be undefined (NaN) uses
 * `figure`, since JSON has no NaN: written as null, read back as NaN.
 */
export interface JsonFileSpec<S extends z.ZodType> {
  /** The file's name in its folder (a contract other tools read: add, never rename). */
  name: string;
  schema: S;
  /**
   * Required keys (dotted paths) that Tims before a given version did not write, each with what
   * added it: reading a file without one says it was written by an older Tim.
   */
  addedLater?: Record<string, string>;
  /** What writes the file again, for the "older Tim" message ("run 'tim evaluate' again"). */
  rewrite?: string;
  /** 'pretty': two-space indentation (the default); 'compact': one line. Both end with a newline. */
  layout?: 'pretty' | 'compact';
}

export interface JsonFile<S extends z.ZodType> extends JsonFileSpec<S> {
  /** The file's content checked against its schema: a damaged one is one line naming the file and key. */
  read(file: string, consequence?: string): z.output<S>;
  /** The file, or undefined when it is missing or unusable (`onProblem` hears why it was not used). */
  readIfUsable(file: string, onProblem: (message: string) => void): z.output<S> | undefined;
  /** The text the writer writes; a value the reader would refuse is a bug, thrown here. */
  text(value: z.output<S>): string;
  /** Writes the file atomically (readers never see half of it). */
  write(file: string, value: z.output<S>): void;
}

/** A number that may be undefined (NaN): JSON writes NaN as null, read back as NaN. */
export const figure = z
  .number()
  .nullable()
  .transform((v) => v ?? NaN);

/**
 * The value checked against `spec`'s schema, as one line naming `source` and the key; a
 * required key that older Tims did not write says so.
 */
function checkJson<S extends z.ZodType>(spec: JsonFileSpec<S>, raw: unknown, source: string, consequence?: string): z.output<S> {
  const result = spec.schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const tail = consequence ? `; ${consequence}` : '';
  const issues = result.error.issues;
  const older = issues.find((i) => i.code === 'invalid_type' && i.input === undefined && spec.addedLater?.[i.path.map(String).join('.')] !== undefined);
  if (older) {
    const key = older.path.map(String).join('.');
    throw new TimError(`${source}: written by an older Tim (no '${key}', which came with ${spec.addedLater?.[key] ?? '?'})${spec.rewrite ? `; ${spec.rewrite}` : ''}${tail}`);
  }
  const first = issues[0];
  throw new TimError(`${first ? describeIssue(first, source, spec.schema) : `${source}: unexpected contents`}${tail}`);
}

function serialise(layout: JsonFileSpec<z.ZodType>['layout'], value: unknown): string {
  return `${layout === 'compact' ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`;
}

/** The text of `value` for `spec`, checked as a reader will read it. */
function checkedText<S extends z.ZodType>(spec: JsonFileSpec<S>, value: unknown, target: string): string {
  const text = serialise(spec.layout, value);
  try {
    checkJson(spec, JSON.parse(text), target);
  } catch (e) {
    // Tim never writes what it cannot read back: this is a bug, not the user's input.
    throw new Error(`refusing to write ${target}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return text;
}

export function jsonFile<S extends z.ZodType>(spec: JsonFileSpec<S>): JsonFile<S> {
  const read = (file: string, consequence?: string): z.output<S> => {
    if (!fs.existsSync(file)) throw new TimError(`${file}: missing${consequence ? `; ${consequence}` : ''}`);
    return checkJson(spec, parseJsonText(fs.readFileSync(file, 'utf8'), file, z.unknown(), consequence), file, consequence);
  };
  return {
    ...spec,
    read,
    readIfUsable(file, onProblem) {
      if (!fs.existsSync(file)) return undefined;
      try {
        return read(file);
      } catch (e) {
        // Read errors too (the file removed or replaced in between): the caller goes on without it.
        onProblem(oneLine(e));
        return undefined;
      }
    },
    text: (value) => checkedText(spec, value, spec.name),
    write(file, value) {
      writeFileAtomic(file, checkedText(spec, value, file));
    },
  };
}

/** A JSON-lines file (one JSON object a line, appended as it grows). */
export interface JsonLinesFile<S extends z.ZodType> extends JsonFileSpec<S> {
  /**
   * Each non-empty line, checked; a bad line is named `FILE line N`. A missing file has no lines.
   * With `onBadLine`, a bad line (one cut short by an interruption) is reported there and skipped.
   */
  read(file: string, onBadLine?: (message: string) => void): z.output<S>[];
  append(file: string, value: z.output<S>): void;
  /** Replaces the file with these lines. */
  write(file: string, values: readonly z.output<S>[]): void;
}

export function jsonLinesFile<S extends z.ZodType>(spec: Omit<JsonFileSpec<S>, 'layout'>): JsonLinesFile<S> {
  const line = (value: unknown, target: string): string => checkedText({ ...spec, layout: 'compact' }, value, target);
  return {
    ...spec,
    layout: 'compact',
    read(file, onBadLine) {
      if (!fs.existsSync(file)) return [];
      const out: z.output<S>[] = [];
      for (const [i, text] of fs.readFileSync(file, 'utf8').split('\n').entries()) {
        if (text.trim() === '') continue;
        const source = `${file} line ${i + 1}`;
        try {
          out.push(checkJson(spec, parseJsonText(text, source, z.unknown()), source));
        } catch (e) {
          if (!onBadLine || !(e instanceof TimError)) throw e;
          onBadLine(e.message);
        }
      }
      return out;
    },
    append(file, value) {
      fs.appendFileSync(file, line(value, file));
    },
    write(file, values) {
      writeFileAtomic(file, values.map((v) => line(v, file)).join(''));
    },
  };
}
