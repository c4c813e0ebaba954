import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { TimError } from '../core/errors';
import { applyOverride, parseConfig, resolveConfigPath } from '../config/load';
import type { TimConfig } from '../config/schema';

/** A scalar a grid may vary: what YAML gives for `[letterbox, stretch]` or `[32, 48]`. */
export type GridValue = string | number | boolean;

/** Grid keys whose values repeat a configuration (training variance) rather than change it. */
export const REPEAT_KEYS: readonly string[] = ['seed', 'data.fold'];

export interface GridAxis {
  /** Dotted config key, e.g. `train.batch_size`. */
  key: string;
  /** The short name used in run-folder names (the shortest unambiguous tail of the key). */
  label: string;
  values: GridValue[];
}

/** A sweep file: a base config, fixed overrides, and a grid of dotted keys to value lists. */
export interface SweepSpec {
  file: string;
  name: string;
  /** The resolved base config file. */
  basePath: string;
  /** Overrides applied to every run before the grid values (`fixed:` in the file). */
  fixed: Record<string, GridValue>;
  grid: GridAxis[];
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
}

const TOP_KEYS = ['name', 'base', 'fixed', 'grid', 'out', 'evaluate'];

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
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(basePath, 'utf8')) as unknown;
  } catch (e) {
    throw new TimError(`${basePath} (base of ${file}): not valid YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
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
  if (typeof raw.base !== 'string' || raw.base === '') throw new TimError(`${where}: missing key 'base' (a config name in configs/ or a path)`);
  // A base path is read relative to the sweep file first, then as a config name.
  const besideSweep = path.resolve(path.dirname(file), raw.base);
  const basePath = fs.existsSync(besideSweep) && fs.statSync(besideSweep).isFile() ? besideSweep : resolveConfigPath(raw.base);

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

  if (!isMapping(raw.grid) || Object.keys(raw.grid).length === 0) {
    throw new TimError(`${where}: key 'grid' must map dotted config keys to lists of values, e.g. data.resize: [letterbox, stretch]`);
  }
  const keys = Object.keys(raw.grid);
  const labels = axisLabels(keys);
  const grid: GridAxis[] = keys.map((key, i) => {
    const values = (raw.grid as Record<string, unknown>)[key];
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

  const spec: SweepSpec = { file, name, basePath, fixed, grid, out, evaluate };
  // Validate every key (and every value) against the schema now, not hours into the sweep.
  expandSweep(spec);
  return spec;
}

/** Reads and validates a sweep file. */
export function loadSweepSpec(file: string): SweepSpec {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new TimError(`sweep file ${file} not found`);
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new TimError(`${file}: not valid YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  return parseSweepSpec(raw, path.resolve(file));
}

/** Every combination of the grid as a validated config, sorted by run name. */
export function expandSweep(spec: SweepSpec): SweepRun[] {
  const where = path.basename(spec.file);
  const base = readBaseRaw(spec.basePath, where);
  let combos: Record<string, GridValue>[] = [{}];
  for (const axis of spec.grid) {
    combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  }
  const runs = combos.map((values) => {
    const raw = structuredClone(base);
    for (const [k, v] of Object.entries(spec.fixed)) setKey(raw, k, v);
    for (const [k, v] of Object.entries(values)) setKey(raw, k, v);
    const name = runNameOf(spec.grid, values);
    raw.name = name;
    const desc = Object.entries(values).map(([k, v]) => `${k}=${String(v)}`).join(', ');
    const config = parseConfig(raw, `${where} (${desc})`);
    return { name, values, config };
  });
  return runs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
