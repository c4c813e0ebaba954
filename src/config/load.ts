import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { oneLine, TimError } from '../core/errors';
import { nearest } from '../core/suggest';
import { describeIssue } from '../core/zod-issue';
import { configSchema, type TimConfig } from './schema';

/** Where bare config names (`convnext_tiny.yaml`, `convnext_tiny`) are looked up. */
export const CONFIG_DIR = path.resolve(__dirname, '..', '..', 'configs');

/** Resolves a config argument: an existing path, or a name in `configs/` with or without `.yaml`. */
export function resolveConfigPath(arg: string): string {
  const candidates = [arg, path.join(CONFIG_DIR, arg), path.join(CONFIG_DIR, `${arg}.yaml`)];
  for (const c of candidates) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return path.resolve(c);
  }
  const names = fs.existsSync(CONFIG_DIR)
    ? fs.readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.yaml'))
    : [];
  const near = nearest(arg.endsWith('.yaml') ? arg : `${arg}.yaml`, names);
  throw new TimError(
    `config '${arg}' not found (neither a file nor a name in configs/)` +
      (near ? `; did you mean '${near}'?` : names.length ? `; available: ${names.join(', ')}` : ''),
  );
}

/**
 * Parses YAML text into plain data. Anything the parser only warns about (an unknown tag such
 * as `!!js/function`, a duplicate key) is an error too, reported on one line naming `where`.
 */
export function parseYaml(text: string, where: string): unknown {
  const doc = YAML.parseDocument(text, { uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  // The first line of the message says what and where ("... at line 2, column 8:").
  if (problem) throw new TimError(`${where}: not valid YAML (${(problem.message.split('\n')[0] ?? '').replace(/:$/, '')})`);
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

/** Reads a YAML file (parseYaml's rules), naming the file in every error. */
export function readYamlFile(file: string, where = file): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new TimError(`${where}: cannot read (${oneLine(e)})`);
  }
  return parseYaml(text, where);
}

/** Keys that would reach an object's prototype rather than the config. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** `key.path=value` split into the key's segments and the value read as YAML (numbers, booleans, lists). */
export function parseOverride(assignment: string): { keyPath: string[]; value: unknown } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new TimError(`--set '${assignment}': expected key.path=value`);
  const keyPath = assignment.slice(0, eq).trim().split('.');
  const bad = keyPath.find((k) => FORBIDDEN_KEYS.has(k) || k === '');
  if (bad !== undefined) throw new TimError(`--set '${assignment}': '${bad}' is not a config key`);
  const valueText = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = parseYaml(valueText, `--set '${assignment}'`);
  } catch {
    value = valueText;
  }
  return { keyPath, value };
}

/** Applies `key.path=value` (see parseOverride) to a raw config. */
export function applyOverride(raw: Record<string, unknown>, assignment: string): void {
  const { keyPath, value } = parseOverride(assignment);
  let node: Record<string, unknown> = raw;
  for (const [i, key] of keyPath.entries()) {
    if (i === keyPath.length - 1) {
      node[key] = value;
    } else {
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (next === undefined || next === null) {
        node[key] = {};
      } else if (typeof next !== 'object' || Array.isArray(next)) {
        throw new TimError(`--set '${assignment}': '${keyPath.slice(0, i + 1).join('.')}' is not a section`);
      }
      node = node[key] as Record<string, unknown>;
    }
  }
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** k-fold holds out `data.fold` of `data.folds`; a `data.val_fraction` beside them would be silently unused. */
function checkSplitKeys(raw: unknown, source: string): void {
  const data = isMapping(raw) && isMapping(raw.data) ? raw.data : undefined;
  if (data?.folds === undefined || data.val_fraction === undefined) return;
  throw new TimError(
    `${source}: keys 'data.val_fraction' (${JSON.stringify(data.val_fraction)}) and 'data.folds' (${JSON.stringify(data.folds)}) both given; ` +
      `k-fold holds out one fold (data.fold) of data.folds, so val_fraction would be unused: expected one of the two`,
  );
}

/**
 * An override that picks the split (`--set data.folds=5`, a sweep's `data.folds`) replaces the
 * base file's other way of splitting, so that a base with `val_fraction` can be swept over folds;
 * both in one file, or both overridden, stay an error.
 */
export function applySplitOverride(raw: Record<string, unknown>, overriddenKeys: readonly string[]): void {
  const data = raw.data;
  if (!isMapping(data)) return;
  const kfold = overriddenKeys.some((k) => k === 'data.folds' || k === 'data.fold');
  const fraction = overriddenKeys.includes('data.val_fraction');
  if (kfold && !fraction) delete data.val_fraction;
  if (fraction && !kfold) {
    delete data.folds;
    delete data.fold;
  }
}

/** Validates a raw object into a config, with one-line errors naming the key. */
export function parseConfig(raw: unknown, source = 'config'): TimConfig {
  checkSplitKeys(raw, source);
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const first = result.error.issues[0];
    throw new TimError(first ? describeIssue(first, source, configSchema) : `${source}: invalid config`);
  }
  return result.data;
}

/** Reads, overrides and validates a config file once, at start-up. */
export function loadConfig(arg: string, overrides: readonly string[] = []): { config: TimConfig; path: string } {
  const file = resolveConfigPath(arg);
  const raw = readYamlFile(file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TimError(`${file}: expected a mapping of config keys at the top level`);
  }
  applySplitOverride(raw as Record<string, unknown>, overrides.map((o) => o.slice(0, Math.max(0, o.indexOf('='))).trim()));
  for (const o of overrides) applyOverride(raw as Record<string, unknown>, o);
  return { config: parseConfig(raw, path.basename(file)), path: file };
}

/** The resolved config as YAML, as written into a run folder. */
export function configToYaml(config: TimConfig): string {
  // With k-fold, val_fraction (its default) is not used and may not stand beside data.folds.
  if (config.data.folds === undefined) return YAML.stringify(config);
  const { val_fraction: _unused, ...data } = config.data;
  return YAML.stringify({ ...config, data });
}

/** Reads the resolved config back from a run folder. */
export function readRunConfig(file: string): TimConfig {
  if (!fs.existsSync(file)) throw new TimError(`${file}: missing (is this a Tim run folder?)`);
  const raw = readYamlFile(file);
  // Runs written before the rule above saved val_fraction's default beside data.folds.
  if (isMapping(raw) && isMapping(raw.data) && raw.data.folds !== undefined) delete raw.data.val_fraction;
  return parseConfig(raw, file);
}
