import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { z } from 'zod';
import { TimError } from '../core/errors';
import { nearest } from '../core/suggest';
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

/** Parses `key.path=value` with the value read as YAML (numbers, booleans, lists). */
export function applyOverride(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new TimError(`--set '${assignment}': expected key.path=value`);
  const keyPath = assignment.slice(0, eq).trim().split('.');
  const valueText = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = YAML.parse(valueText) as unknown;
  } catch {
    value = valueText;
  }
  let node: Record<string, unknown> = raw;
  for (const [i, key] of keyPath.entries()) {
    if (i === keyPath.length - 1) {
      node[key] = value;
    } else {
      const next = node[key];
      if (next === undefined || next === null) {
        node[key] = {};
      } else if (typeof next !== 'object' || Array.isArray(next)) {
        throw new TimError(`--set '${assignment}': '${keyPath.slice(0, i + 1).join('.')}' is not a section`);
      }
      node = node[key] as Record<string, unknown>;
    }
  }
}

/** The object schema found at a dotted path, to list the keys valid there. */
function shapeAt(schema: z.ZodType, keys: readonly PropertyKey[]): Record<string, z.ZodType> | undefined {
  let s: z.ZodType = schema;
  for (const k of [...keys, undefined]) {
    for (;;) {
      if (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
      else break;
    }
    if (!(s instanceof z.ZodObject)) return undefined;
    if (k === undefined) return s.shape;
    const child = (s.shape as Record<string, z.ZodType>)[String(k)];
    if (!child) return undefined;
    s = child;
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, source: string): string {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const valid = Object.keys(shapeAt(configSchema, issue.path) ?? {});
    const key = issue.keys[0] ?? '';
    const full = where ? `${where}.${key}` : key;
    const near = nearest(key, valid);
    return `${source}: unknown key '${full}'` + (near ? `; did you mean '${where ? `${where}.` : ''}${near}'?` : `; valid keys here: ${valid.join(', ')}`);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${source}: missing key '${where}' (expected ${issue.expected})`;
  }
  return `${source}: key '${where || '(root)'}': ${issue.message}`;
}

/** Validates a raw object into a config, with one-line errors naming the key. */
export function parseConfig(raw: unknown, source = 'config'): TimConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new TimError(first ? describeIssue(first, source) : `${source}: invalid config`);
  }
  return result.data;
}

/** Reads, overrides and validates a config file once, at start-up. */
export function loadConfig(arg: string, overrides: readonly string[] = []): { config: TimConfig; path: string } {
  const file = resolveConfigPath(arg);
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new TimError(`${file}: not valid YAML (${msg})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TimError(`${file}: expected a mapping of config keys at the top level`);
  }
  for (const o of overrides) applyOverride(raw as Record<string, unknown>, o);
  return { config: parseConfig(raw, path.basename(file)), path: file };
}

/** The resolved config as YAML, as written into a run folder. */
export function configToYaml(config: TimConfig): string {
  return YAML.stringify(config);
}

/** Reads the resolved config back from a run folder. */
export function readRunConfig(file: string): TimConfig {
  if (!fs.existsSync(file)) throw new TimError(`${file}: missing (is this a Tim run folder?)`);
  return parseConfig(YAML.parse(fs.readFileSync(file, 'utf8')) as unknown, file);
}
