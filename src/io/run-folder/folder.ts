import * as fs from 'fs';
import * as path from 'path';
import type { z } from 'zod';
import { makeDirs } from '../make-dirs';
import { TimError } from '../../core/errors';
import { readRunConfig } from '../../config/load';
import type { TimConfig } from '../../config/schema';
import { recoverSwap, stagingFolder, swapDirInto, writeFileAtomic } from '../atomic';
import { clearStaleLock, heldByThisProcess } from '../run-lock';
import type { JsonFile, JsonLinesFile } from './json-file';
import { CHECKPOINTS_DIR, RUN_FILES, type RunFileKey } from './names';
import { labelsFile, splitFile } from './split';

export class RunFolder {
  constructor(protected location: string) {}

  /** Where the run's files are now (a staged run moves once, at its first checkpoint). */
  get dir(): string {
    return this.location;
  }

  file(key: RunFileKey): string {
    return path.join(this.dir, RUN_FILES[key]);
  }

  has(key: RunFileKey): boolean {
    return fs.existsSync(this.file(key));
  }

  /** A JSON file of the run, checked against its schema: a damaged one is an error naming the file and key. */
  read<S extends z.ZodType>(f: JsonFile<S>): z.output<S> {
    const file = path.join(this.dir, f.name);
    if (!fs.existsSync(file)) throw new TimError(`${file}: missing (is '${this.dir}' a finished Tim run?)`);
    return f.read(file);
  }

  /** The file, or undefined when the run has none. */
  readIfPresent<S extends z.ZodType>(f: JsonFile<S>): z.output<S> | undefined {
    const file = path.join(this.dir, f.name);
    return fs.existsSync(file) ? f.read(file) : undefined;
  }

  write<S extends z.ZodType>(f: JsonFile<S>, value: z.output<S>): void {
    f.write(path.join(this.dir, f.name), value);
  }

  writeText(key: RunFileKey, text: string): void {
    writeFileAtomic(this.file(key), text);
  }

  config(): TimConfig {
    return readRunConfig(this.file('config'));
  }

  /**
   * The class names in the model's output order. split.json records the order training used;
   * a labels.json that differs from it (reordered, renamed) would relabel every prediction.
   */
  labels(): string[] {
    const labels = this.read(labelsFile);
    if (this.has('split')) {
      const recorded = this.read(splitFile).classes;
      if (JSON.stringify(recorded) !== JSON.stringify(labels)) {
        throw new TimError(
          `${this.file('labels')}: the class names ${JSON.stringify(labels)} differ from the order training recorded in ${RUN_FILES.split} ` +
            `(${JSON.stringify(recorded)}); the model's outputs follow ${RUN_FILES.split}, so restore ${RUN_FILES.labels} from it`,
        );
      }
    }
    return labels;
  }

  /** Appends one line to a JSON-lines file of the run (history.jsonl). */
  appendLine<S extends z.ZodType>(f: JsonLinesFile<S>, value: z.output<S>): void {
    f.append(path.join(this.dir, f.name), value);
  }

  /** Each line of a JSON-lines file of the run, checked; none when the file is missing. */
  readLines<S extends z.ZodType>(f: JsonLinesFile<S>, onBadLine?: (message: string) => void): z.output<S>[] {
    return f.read(path.join(this.dir, f.name), onBadLine);
  }

  /** Replaces a JSON-lines file of the run with these lines. */
  writeLines<S extends z.ZodType>(f: JsonLinesFile<S>, values: readonly z.output<S>[]): void {
    f.write(path.join(this.dir, f.name), values);
  }
}

function alreadyExists(dir: string): TimError {
  return new TimError(`run folder ${dir} already exists; use --force to overwrite it or --resume ${dir} to continue it`);
}

function occupied(dir: string): boolean {
  return fs.existsSync(dir) && (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0);
}

/**
 * Whether `dir` is a Tim run: it has the marker Tim writes when it creates a run, or (a run from
 * before the marker) the three files Tim writes together at creation, config.yaml, labels.json
 * and split.json, with a split.json that records the split's items.
 */
export function isRunFolder(dir: string): boolean {
  try {
    if (!fs.statSync(dir).isDirectory()) return false;
  } catch {
    return false;
  }
  if (fs.existsSync(path.join(dir, RUN_FILES.marker))) return true;
  if (![RUN_FILES.config, RUN_FILES.labels, RUN_FILES.split].every((f) => fs.existsSync(path.join(dir, f)))) return false;
  return splitFile.readIfUsable(path.join(dir, RUN_FILES.split), () => undefined) !== undefined;
}

/** Names Tim writes into a run folder besides RUN_FILES: exports, external evaluations, swap and lock siblings. */
function isTimRunEntry(name: string): boolean {
  return (Object.values(RUN_FILES) as string[]).includes(name) || name === 'export' || name.startsWith('external-') || /^\..+\.(tmp|new|old)-\d+-/.test(name);
}

/** What the run `dir` holds that Tim did not write there (a user's notes, other tools' files). */
export function foreignRunEntries(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => !isTimRunEntry(name)).sort();
}

/**
 * Checks that a new run may be written to `dir`: it is free, or `force` is given and it is a
 * Tim run holding only what Tim writes (never any other folder, nor the checkpoints root).
 */
export function checkNewRunTarget(dir: string, force: boolean | undefined): void {
  if (!occupied(dir)) return;
  if (!force) throw alreadyExists(dir);
  if (!isRunFolder(dir)) {
    const held = fs.statSync(dir).isDirectory() ? fs.readdirSync(dir).sort().slice(0, 4).join(', ') : 'a file';
    throw new TimError(
      `${dir}: not a Tim run folder (it holds ${held}, but no ${RUN_FILES.marker} nor ${RUN_FILES.config} + ${RUN_FILES.labels} + ${RUN_FILES.split} written by Tim); ` +
        `--force replaces only Tim runs, so move it or choose another --out`,
    );
  }
  const foreign = foreignRunEntries(dir);
  if (foreign.length > 0) {
    throw new TimError(`${dir}: a Tim run that also holds files Tim did not write (${foreign.slice(0, 4).join(', ')}); --force would delete them, so move them or choose another --out`);
  }
}

/** Creates an empty run folder in place (no replacing: see `stageRunFolder`). */
export function createRunFolder(dir: string): RunFolder {
  if (occupied(dir)) throw alreadyExists(dir);
  makeDirs(dir);
  return new RunFolder(dir);
}

/**
 * A new run built in a hidden sibling of its target and swapped in by `promote`, which
 * training calls at the first checkpoint: until then a run it replaces is untouched, and a
 * failed start leaves nothing behind.
 */
export class StagedRunFolder extends RunFolder {
  private promoted = false;

  constructor(readonly target: string) {
    super(stagingFolder(target));
  }

  get isPromoted(): boolean {
    return this.promoted;
  }

  /** Moves the run into place, replacing what was there. */
  promote(): void {
    if (this.promoted) return;
    swapDirInto(this.location, this.target);
    this.location = this.target;
    this.promoted = true;
  }

  /** Removes the staged run if it never reached its target. */
  discard(): void {
    if (!this.promoted) fs.rmSync(this.location, { recursive: true, force: true });
  }
}

export function stageRunFolder(dir: string, opts: { force?: boolean } = {}): StagedRunFolder {
  checkNewRunTarget(dir, opts.force);
  return new StagedRunFolder(dir);
}

/**
 * Finishes any swap an interrupted process left half done: of the run folder itself (a
 * `--force` replacement) and of its model folders and files. Only without a live writer.
 */
export function recoverRunFolder(dir: string): void {
  // The writer holding the lock (train --resume) repairs its own folder before it reads it.
  if (!heldByThisProcess(dir) && !clearStaleLock(dir)) return;
  recoverSwap(dir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return;
  recoverSwap(path.join(dir, RUN_FILES.best));
  recoverSwap(path.join(dir, RUN_FILES.last));
  for (const name of fs.readdirSync(dir)) {
    if (/^\..+\.tmp-\d+-/.test(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/** Opens an existing run folder, checking it is one. */
export function openRunFolder(dir: string): RunFolder {
  recoverRunFolder(dir);
  const run = new RunFolder(dir);
  if (!fs.existsSync(dir)) throw new TimError(`run folder ${dir} does not exist`);
  if (!run.has('config')) throw new TimError(`${dir}: not a Tim run folder (no ${RUN_FILES.config})`);
  return run;
}

/** The most recently modified run folder under `parent` that has a `best/` model. */
export function latestRun(parent = CHECKPOINTS_DIR): RunFolder {
  if (!fs.existsSync(parent)) throw new TimError(`no runs found: ${parent}/ does not exist (train one first, or pass --run DIR)`);
  const runs = fs
    .readdirSync(parent, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => path.join(parent, d.name))
    .filter((d) => fs.existsSync(path.join(d, RUN_FILES.best)))
    .map((d) => ({ d, t: fs.statSync(path.join(d, RUN_FILES.best)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  const first = runs[0];
  if (!first) throw new TimError(`no finished runs under ${parent}/ (train one first, or pass --run DIR)`);
  return new RunFolder(first.d);
}
