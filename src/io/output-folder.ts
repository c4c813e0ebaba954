import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { TimError } from '../core/errors';
import { checkFileTarget, replaceDirAtomic, writeFileAtomic } from './atomic';
import { readJsonFileIfUsable } from './json-file';
import { EXPORT_FILES, isRunFolder, RUN_FILES, WEIGHT_SHARD_PATTERN } from './run-folder';

/**
 * One rule for every command that writes or replaces a folder: Tim replaces, or writes into, only
 * a folder that is new, empty, or one it wrote itself as an output of the same kind. Such a folder
 * carries `.tim-output.json`, naming the kind and every file Tim put in it; a folder holding
 * anything else (a run, a checkpoints root, a user's own files) is refused before any work.
 */
export const OUTPUT_MARKER = '.tim-output.json';

export type OutputKind = 'web export' | 'synthetic data set' | 'model folder' | 'explanation maps' | 'external evaluation' | 'sweep' | 'epoch benchmark';

const markerSchema = z.object({ kind: z.string(), files: z.array(z.string()) });
type Marker = z.infer<typeof markerSchema>;

export interface OutputFolderRule {
  /** Recognises a folder of this kind written before Tim marked its outputs (its relative file paths). */
  legacy?: (dir: string, files: readonly string[]) => boolean;
  /**
   * `replace` (default): the whole folder is swapped for a new one, so every file in it must be
   * Tim's. `add`: Tim writes only these names into it, so only they must not be a user's files.
   */
  adds?: readonly string[];
  /** Files Tim writes into a marked folder after the marker (a benchmark's run and cache). */
  alsoOwns?: (file: string) => boolean;
}

/** Tim's own passing names: a file or folder being written or swapped (see atomic.ts), and run locks. */
const IN_PASSING = /^\..+\.(tmp|new|old)-\d+-|^\..+\.lock$/;

/**
 * Every file under `dir`, as paths relative to it with `/` separators, sorted; folders are walked,
 * not listed, and Tim's passing names (another Tim process writing there this instant) are left out.
 */
export function filesUnder(dir: string, limit = Infinity): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (out.length >= limit) return;
      if (IN_PASSING.test(d.name)) continue;
      const r = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

function listed(names: readonly string[], max = 4): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function readMarker(dir: string): Marker | undefined {
  const file = path.join(dir, OUTPUT_MARKER);
  if (!fs.existsSync(file)) return undefined;
  return readJsonFileIfUsable(file, markerSchema, () => undefined);
}

/** Sub-folders of `dir` (and of its sub-folders) that are Tim runs: a checkpoints root, or a parent of one. */
function runsWithin(dir: string): string[] {
  const runs: string[] = [];
  const subFolders = (d: string): string[] => {
    try {
      return fs
        .readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => path.join(d, e.name));
    } catch {
      return [];
    }
  };
  for (const child of subFolders(dir)) {
    if (isRunFolder(child)) runs.push(path.relative(dir, child));
    else for (const grandchild of subFolders(child)) if (isRunFolder(grandchild)) runs.push(path.relative(dir, grandchild));
  }
  return runs;
}

/** More files than the largest folder Tim writes (a synthetic set at a large scale). */
const MAX_OUTPUT_FILES = 200_000;

/** Refuses `dir` as the output folder of `kind` unless it is new, empty, or Tim's own output of that kind. */
export function checkOutputFolder(dir: string, kind: OutputKind, rule: OutputFolderRule = {}): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (st.isSymbolicLink()) throw new TimError(`${dir}: is a symbolic link; name the folder itself as the ${kind}'s output`);
  if (!st.isDirectory()) throw new TimError(`${dir}: is a file; expected a folder for the ${kind} (a new or empty one)`);
  const entries = fs.readdirSync(dir).filter((e) => !IN_PASSING.test(e));
  if (entries.length === 0) return;
  const refuse = (what: string): never => {
    throw new TimError(`${dir}: ${what}; Tim writes a ${kind} only into a new or empty folder, or one it wrote as a ${kind} (marked by ${OUTPUT_MARKER}): choose another folder`);
  };
  if (isRunFolder(dir)) refuse(`is a Tim run (${listed(entries.filter((e) => !e.startsWith('.')).sort())})`);
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(path.resolve(dir));
  if ((base === RUN_FILES.best || base === RUN_FILES.last) && isRunFolder(parent)) refuse(`is the ${base}/ checkpoint of the run ${parent}`);
  const marker = readMarker(dir);
  if (marker && marker.kind !== kind) refuse(`is a Tim ${marker.kind}, not a ${kind}`);
  // Bounded: a folder with more files than any output of Tim's (a home folder) is not one.
  const files = filesUnder(dir, MAX_OUTPUT_FILES);
  if (!marker && (files.length >= MAX_OUTPUT_FILES || !rule.legacy?.(dir, files))) {
    const runs = runsWithin(dir);
    if (runs.length > 0) refuse(`holds Tim runs (${listed(runs)}): it is a checkpoints folder or a parent of one`);
    refuse(`holds files Tim did not write (${listed(files.filter((f) => f !== OUTPUT_MARKER))})`);
  }
  const own = new Set([...(marker?.files ?? files), OUTPUT_MARKER]);
  const atRisk = rule.adds ? rule.adds.filter((f) => fs.existsSync(path.join(dir, f))) : files;
  const foreign = atRisk.filter((f) => !own.has(f) && !rule.alsoOwns?.(f));
  if (foreign.length > 0) refuse(`holds files Tim did not write (${listed(foreign)})`);
}

function markerText(kind: OutputKind, files: readonly string[]): string {
  const marker: Marker = { kind, files: [...new Set(files)].filter((f) => f !== OUTPUT_MARKER).sort() };
  return `${JSON.stringify(marker, null, 2)}\n`;
}

/** Writes the marker of a folder Tim filled, listing every file now in it (the marker's content for `extraFiles`). */
export function outputMarkerFor(kind: OutputKind, files: readonly string[]): Record<string, string> {
  return { [OUTPUT_MARKER]: markerText(kind, files) };
}

/**
 * Replaces `dir` by a folder `fill` writes, after checking (again, just before the swap) that it
 * may: the new folder's marker lists what `fill` wrote.
 */
export async function replaceOutputFolder(dir: string, kind: OutputKind, fill: (tmpDir: string) => Promise<void> | void, rule: OutputFolderRule = {}): Promise<void> {
  checkOutputFolder(dir, kind, rule);
  await replaceDirAtomic(dir, async (tmp) => {
    await fill(tmp);
    fs.writeFileSync(path.join(tmp, OUTPUT_MARKER), markerText(kind, filesUnder(tmp)));
    checkOutputFolder(dir, kind, rule);
  });
}

/** Creates `dir` (checked as for `checkOutputFolder`) for Tim to write `names` into, and records them in its marker. */
export function openOutputFolder(dir: string, kind: OutputKind, names: readonly string[], rule: Omit<OutputFolderRule, 'adds'> = {}): void {
  checkOutputFolder(dir, kind, { ...rule, adds: names });
  fs.mkdirSync(dir, { recursive: true });
  const before = readMarker(dir)?.files ?? filesUnder(dir);
  writeFileAtomic(path.join(dir, OUTPUT_MARKER), markerText(kind, [...before, ...names]));
}

const only = (pattern: RegExp) => (files: readonly string[]): boolean => files.length > 0 && files.every((f) => pattern.test(f));

const EXPORTED_NAMES: ReadonlySet<string> = new Set(Object.values(EXPORT_FILES));

/** A web export written before the marker: only the files `tim export --format web` writes. */
export const WEB_EXPORT_RULE: OutputFolderRule = {
  legacy: (_dir, files) => files.includes(EXPORT_FILES.metadata) && files.length > 0 && files.every((f) => EXPORTED_NAMES.has(f) || WEIGHT_SHARD_PATTERN.test(f)),
};

/** A model folder `tim weights import` wrote before the marker: model.json recording what it was imported from, and weights.bin. */
export const IMPORTED_MODEL_RULE: OutputFolderRule = {
  legacy: (dir, files) =>
    only(/^(model\.json|weights\.bin)$/)(files) &&
    readJsonFileIfUsable(path.join(dir, 'model.json'), z.looseObject({ userDefinedMetadata: z.looseObject({ importedFrom: z.string() }) }), () => undefined) !== undefined,
};

/** The files an evaluation writes into its output folder. */
export const EVALUATION_FILES = [RUN_FILES.metrics, RUN_FILES.predictions, RUN_FILES.confusion, RUN_FILES.confusionPng, RUN_FILES.reliability] as const;

/** An external evaluation written before the marker: only the evaluation's own files. */
export const EVALUATION_RULE: OutputFolderRule = {
  legacy: (_dir, files) => files.every((f) => (EVALUATION_FILES as readonly string[]).includes(f)),
};

/**
 * Refuses, before any work, a file output that is a folder or one of a run's own files
 * (`--out <run>/config.yaml`); `ext` is the kind of file expected, for the hint.
 */
export function checkOutputFile(file: string, ext: string): void {
  checkFileTarget(file, ext);
  const dir = path.dirname(path.resolve(file));
  const name = path.basename(file);
  if (isRunFolder(dir) && (Object.values(RUN_FILES) as string[]).includes(name)) {
    throw new TimError(`${file}: is the run's own ${name}; expected a new ${ext} file name (e.g. ${path.join(path.dirname(file), `model${ext}`)})`);
  }
}

/** Empties `dir` for a new output (checked first, as `checkOutputFolder`), leaving only its marker. */
export function replaceWithEmptyOutputFolder(dir: string, kind: OutputKind, rule: Omit<OutputFolderRule, 'adds'> = {}): void {
  checkOutputFolder(dir, kind, rule);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, OUTPUT_MARKER), markerText(kind, []));
}
