import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';
import { applyOverride, applySplitOverride, parseConfig, parseOverride, readYamlFile, resolveConfigPath } from '../config/load';
import type { TimConfig } from '../config/schema';
import type { GridValue } from '../io/run-folder';

/** A scalar a grid may vary: what YAML gives for `[letterbox, stretch]` or `[32, 48]`. */
export type { GridValue } from '../io/run-folder';

/** Grid keys whose values repeat a configuration (training variance) rather than change it. */
export const REPEAT_KEYS: readonly string[] = ['seed', 'data.fold'];

export interface GridAxis {
  /** Dotted config key, e.g. `train.batch_size`. */
  key: string;
  /** The short name used in run-folder names (the shortest unambiguous tail of the key). */
  label: string;
  values: GridValue[];
}

/**
 * One named run of a `runs:` list: its own base config and overrides, for sweeps whose runs
 * differ in more than a grid can say (other backbones, other recipes).
 */
export interface ListedRun {
  name: string;
  /** The resolved base config file (the run's `base:`, else the sweep's). */
  basePath: string;
  /** Dotted keys set for this run, after `fixed:` and before the grid values. */
  set: Record<string, GridValue>;
  /** The id of the reference project's run it reproduces (configs/reference/reference.json). */
  reference?: string;
}

/** The value key that names a listed run among a run's values. */
export const LISTED_RUN_KEY = 'experiment';

/**
 * A sweep file: a base config, fixed overrides, and a grid of dotted keys to value lists; or a
 * `runs:` list of named override sets (each optionally with its own base), crossed with the grid
 * when there is one.
 */
export interface SweepSpec {
  file: string;
  name: string;
  /** The resolved base config file; optional when every listed run names its own. */
  basePath?: string;
  /** Overrides applied to every run before the grid values (`fixed:` in the file). */
  fixed: Record<string, GridValue>;
  grid: GridAxis[];
  /** The `runs:` list, when the sweep has one. */
  runs?: ListedRun[];
  /** Default output folder (`out:` in the file), relative to the working directory. */
  out?: string;
  /** Options passed to evaluation (`evaluate:` in the file). */
  evaluate: { bootstrap?: number; seed?: number };
}

/** One point of the grid: its run-folder name, its values and its validated config. */
export interface SweepRun {
  name: string;
  values: Record<string, GridValue>;
  config: TimConfig;
  /** The reference run it reproduces, from its `runs:` entry. */
  reference?: string;
}

const TOP_KEYS = ['name', 'base', 'fixed', 'grid', 'runs', 'out', 'evaluate'];
const RUN_KEYS = ['name', 'base', 'set', 'reference'];

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isGridValue(v: unknown): v is GridValue {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Applies `key=value` to a raw config; JSON is valid YAML, so the value keeps its type. */
function setKey(raw: Record<string, unknown>, key: string, value: GridValue): void {
  applyOverride(raw, `${key}=${JSON.stringify(value)}`);
}

/** Short names for the keys: the last segment, or more of the tail where two keys share it. */
export function axisLabels(keys: readonly string[]): string[] {
  return keys.map((key) => {
    const parts = key.split('.');
    for (let n = 1; n <= parts.length; n++) {
      const tail = parts.slice(-n).join('.');
      const clash = keys.some((other) => other !== key && other.split('.').slice(-n).join('.') === tail);
      if (!clash) return tail;
    }
    return key;
  });
}

/** A value as it appears in a folder name: letters, digits, `.`, `+` and `-` only. */
export function valueSlug(v: GridValue): string {
  return String(v).replace(/[^A-Za-z0-9.+-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** `resize-letterbox_batch_size-32`: label-value pairs joined in grid order. */
export function runNameOf(axes: readonly GridAxis[], values: Record<string, GridValue>): string {
  return axes.map((a) => `${a.label}-${valueSlug(values[a.key] as GridValue)}`).join('_');
}

function readBaseRaw(basePath: string, file: string): Record<string, unknown> {
  const raw = readYamlFile(basePath, `${basePath} (base of ${file})`);
  if (!isMapping(raw)) throw new TimError(`${basePath} (base of ${file}): expected a mapping of config keys`);
  return raw;
}

/** Parses a sweep from an object (as read from YAML); `file` names it in errors and resolves `base`. */
export function parseSweepSpec(raw: unknown, file: string): SweepSpec {
  const where = path.basename(file);
  if (!isMapping(raw)) throw new TimError(`${where}: expected a mapping with 'base' and 'grid'`);
  for (const k of Object.keys(raw)) {
    if (!TOP_KEYS.includes(k)) throw new TimError(`${where}: unknown key '${k}' (expected ${TOP_KEYS.join(', ')})`);
  }
  const runs = raw.runs === undefined ? undefined : parseListedRuns(raw.runs, file);
  if (raw.base !== undefined && (typeof raw.base !== 'string' || raw.base === '')) throw new TimError(`${where}: key 'base' must be a config name in configs/ or a path`);
  const basePath = typeof raw.base === 'string' ? resolveBase(raw.base, file) : undefined;
  if (!basePath && !(runs && runs.every((r) => r.basePath))) {
    throw new TimError(`${where}: missing key 'base' (a config name in configs/ or a path${runs ? ", or a 'base' in every entry of 'runs'" : ''})`);
  }
  if (runs) for (const r of runs) r.basePath ||= basePath as string;

  const name = raw.name === undefined ? path.basename(file).replace(/\.ya?ml$/, '') : raw.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name)) throw new TimError(`${where}: key 'name' must be letters, digits, '.', '_' and '-'`);

  const fixed: Record<string, GridValue> = {};
  if (raw.fixed !== undefined) {
    if (!isMapping(raw.fixed)) throw new TimError(`${where}: key 'fixed' must map dotted config keys to values`);
    for (const [k, v] of Object.entries(raw.fixed)) {
      if (!isGridValue(v)) throw new TimError(`${where}: fixed '${k}' must be a single value (string, number or boolean)`);
      fixed[k] = v;
    }
  }

  const gridRaw = raw.grid === undefined && runs ? {} : raw.grid;
  if (!isMapping(gridRaw) || (Object.keys(gridRaw).length === 0 && !runs)) {
    throw new TimError(`${where}: key 'grid' must map dotted config keys to lists of values, e.g. data.resize: [letterbox, stretch] (or give a 'runs' list)`);
  }
  const keys = Object.keys(gridRaw);
  const labels = axisLabels(keys);
  const grid: GridAxis[] = keys.map((key, i) => {
    const values = gridRaw[key];
    if (!Array.isArray(values) || values.length === 0) throw new TimError(`${where}: grid '${key}' must be a non-empty list of values`);
    for (const v of values) {
      if (!isGridValue(v)) throw new TimError(`${where}: grid '${key}' has a value that is not a string, number or boolean`);
    }
    const slugs = values.map((v) => valueSlug(v as GridValue));
    if (new Set(slugs).size !== slugs.length) throw new TimError(`${where}: grid '${key}' has values that give the same folder name (${slugs.join(', ')})`);
    return { key, label: labels[i] as string, values: values as GridValue[] };
  });

  const out = raw.out;
  if (out !== undefined && typeof out !== 'string') throw new TimError(`${where}: key 'out' must be a folder path`);

  const evaluate: SweepSpec['evaluate'] = {};
  if (raw.evaluate !== undefined) {
    if (!isMapping(raw.evaluate)) throw new TimError(`${where}: key 'evaluate' must be a mapping (bootstrap, seed)`);
    for (const [k, v] of Object.entries(raw.evaluate)) {
      if ((k !== 'bootstrap' && k !== 'seed') || typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new TimError(`${where}: evaluate.${k}: expected bootstrap or seed, a whole number`);
      }
      evaluate[k] = v;
    }
  }

  const spec: SweepSpec = { file, name, basePath, fixed, grid, runs, out, evaluate };
  // Validate every key (and every value) against the schema now, not hours into the sweep.
  expandSweep(spec);
  return spec;
}

/** A base path is read relative to the sweep file first, then as a config name. */
function resolveBase(base: string, file: string): string {
  const besideSweep = path.resolve(path.dirname(file), base);
  return fs.existsSync(besideSweep) && fs.statSync(besideSweep).isFile() ? besideSweep : resolveConfigPath(base);
}

function parseListedRuns(raw: unknown, file: string): ListedRun[] {
  const where = path.basename(file);
  if (!Array.isArray(raw) || raw.length === 0) throw new TimError(`${where}: key 'runs' must be a non-empty list of {name, base, set, reference}`);
  const runs = raw.map((entry, i): ListedRun => {
    const at = `${where}: runs[${i}]`;
    if (!isMapping(entry)) throw new TimError(`${at}: expected a mapping with 'name' and optionally 'base', 'set', 'reference'`);
    for (const k of Object.keys(entry)) if (!RUN_KEYS.includes(k)) throw new TimError(`${at}: unknown key '${k}' (expected ${RUN_KEYS.join(', ')})`);
    if (typeof entry.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(entry.name)) throw new TimError(`${at}: 'name' must be letters, digits, '.', '_' and '-'`);
    if (entry.base !== undefined && (typeof entry.base !== 'string' || entry.base === '')) throw new TimError(`${at}: 'base' must be a config name in configs/ or a path`);
    const set: Record<string, GridValue> = {};
    if (entry.set !== undefined) {
      if (!isMapping(entry.set)) throw new TimError(`${at}: 'set' must map dotted config keys to values`);
      for (const [k, v] of Object.entries(entry.set)) {
        if (!isGridValue(v)) throw new TimError(`${at}: set '${k}' must be a single value (string, number or boolean)`);
        set[k] = v;
      }
    }
    if (entry.reference !== undefined && typeof entry.reference !== 'string') throw new TimError(`${at}: 'reference' must be a reference run id`);
    return { name: entry.name, basePath: typeof entry.base === 'string' ? resolveBase(entry.base, file) : '', set, reference: entry.reference };
  });
  const names = runs.map((r) => r.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new TimError(`${where}: two entries of 'runs' are named '${dup}'`);
  return runs;
}

/** Reads and validates a sweep file. */
export function loadSweepSpec(file: string): SweepSpec {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new TimError(`sweep file ${file} not found`);
  const raw = readYamlFile(file);
  return parseSweepSpec(raw, path.resolve(file));
}

/** Whether setting one dotted key changes the other (the same key, or one inside the other). */
function keysOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

/**
 * The sweep with `--set key=value` overrides added to `fixed:` (replacing the file's value of
 * the same key), for every run alike: a smaller scale or another data folder without editing the
 * file. A key the sweep varies (a grid key, or one a listed run sets) is refused, since
 * overriding it would erase the very differences the sweep compares.
 */
export function withOverrides(spec: SweepSpec, assignments: readonly string[]): SweepSpec {
  if (assignments.length === 0) return spec;
  const varied = [...spec.grid.map((a) => ({ key: a.key, where: 'grid' })), ...(spec.runs ?? []).flatMap((r) => Object.keys(r.set).map((key) => ({ key, where: `runs: ${r.name}` })))];
  const fixed = { ...spec.fixed };
  for (const assignment of assignments) {
    const { keyPath, value } = parseOverride(assignment);
    const key = keyPath.join('.');
    if (!isGridValue(value)) throw new TimError(`--set '${assignment}': expected a single value (string, number or boolean), as in a sweep's fixed:`);
    const clash = varied.filter((v) => keysOverlap(v.key, key));
    if (clash.length > 0) {
      throw new TimError(`--set '${assignment}': ${path.basename(spec.file)} varies ${clash[0]?.key} (${[...new Set(clash.map((c) => c.where))].join(', ')}); --set may change only what every run shares`);
    }
    fixed[key] = value;
  }
  const out: SweepSpec = { ...spec, fixed };
  // Every run is checked against the schema again with the overrides, before anything runs.
  expandSweep(out);
  return out;
}

/** Every combination of the grid (crossed with the `runs:` list, if any) as a validated config, sorted by run name. */
export function expandSweep(spec: SweepSpec): SweepRun[] {
  const where = path.basename(spec.file);
  const bases = new Map<string, Record<string, unknown>>();
  const baseOf = (file: string): Record<string, unknown> => {
    let raw = bases.get(file);
    if (!raw) bases.set(file, (raw = readBaseRaw(file, where)));
    return raw;
  };
  let combos: Record<string, GridValue>[] = [{}];
  for (const axis of spec.grid) {
    combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  }
  const entries: (ListedRun | undefined)[] = spec.runs ?? [undefined];
  const runs = entries.flatMap((entry) =>
    combos.map((combo) => {
      const raw = structuredClone(baseOf(entry?.basePath ?? (spec.basePath as string)));
      applySplitOverride(raw, [...Object.keys(spec.fixed), ...Object.keys(entry?.set ?? {}), ...Object.keys(combo)]);
      for (const [k, v] of Object.entries(spec.fixed)) setKey(raw, k, v);
      for (const [k, v] of Object.entries(entry?.set ?? {})) setKey(raw, k, v);
      for (const [k, v] of Object.entries(combo)) setKey(raw, k, v);
      const gridName = runNameOf(spec.grid, combo);
      const name = entry ? (gridName ? `${entry.name}_${gridName}` : entry.name) : gridName;
      raw.name = name;
      const values: Record<string, GridValue> = entry ? { [LISTED_RUN_KEY]: entry.name, ...combo } : combo;
      const desc = Object.entries(values).map(([k, v]) => `${k}=${String(v)}`).join(', ');
      const config = parseConfig(raw, `${where} (${desc})`);
      return { name, values, config, ...(entry?.reference ? { reference: entry.reference } : {}) };
    }),
  );
  return runs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
