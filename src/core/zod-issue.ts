import { z } from 'zod';
import { nearest } from './suggest';

/** The object schema found at a dotted path, to list the keys valid there. */
export function shapeAt(schema: z.ZodType, keys: readonly PropertyKey[]): Record<string, z.ZodType> | undefined {
  let s: z.ZodType = schema;
  for (const k of [...keys, undefined]) {
    for (;;) {
      if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
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

/** One zod issue as one line: `source: key 'a.b': expected …, got …`; unknown keys get the nearest valid one. */
export function describeIssue(issue: z.core.$ZodIssue, source: string, schema: z.ZodType): string {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const valid = Object.keys(shapeAt(schema, issue.path) ?? {});
    const key = issue.keys[0] ?? '';
    const full = where ? `${where}.${key}` : key;
    const near = nearest(key, valid);
    return `${source}: unknown key '${full}'` + (near ? `; did you mean '${where ? `${where}.` : ''}${near}'?` : `; valid keys here: ${valid.join(', ')}`);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${source}: missing key '${where}' (expected ${issue.expected})`;
  }
  if (issue.code === 'invalid_union') {
    // zod says only "Invalid input"; when every option wanted another type, list the types.
    const types = issue.errors.map((branch) => branch[0]).flatMap((i) => (i?.code === 'invalid_type' && i.path.length === 0 ? [i.expected] : []));
    if (types.length > 0 && types.length === issue.errors.length) return `${source}: key '${where || '(root)'}': expected ${types.join(' or ')}, got ${describeValue(issue.input)}`;
  }
  // A rule over a whole mapping (a refinement) says in its message what was given.
  if (issue.code === 'custom' && typeof issue.input === 'object' && issue.input !== null && !Array.isArray(issue.input)) return `${source}: key '${where || '(root)'}': ${issue.message}`;
  const expected = issue.code === 'invalid_type' ? `expected ${issue.expected === 'int' ? 'a whole number' : issue.expected}` : issue.message.replace(/^Invalid (input|option): /, '');
  return `${source}: key '${where || '(root)'}': ${expected}, got ${describeValue(issue.input)}`;
}

/** A value as the user wrote it, for error messages. */
function describeValue(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN (.nan)' : Number.isFinite(v) ? String(v) : `${v} (a number too large, or .inf)`;
  if (typeof v === 'string') return `'${v}' (text)`;
  if (v === null) return 'nothing (null)';
  if (Array.isArray(v)) return `a list ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'boolean' ? String(v) : JSON.stringify(v) ?? 'nothing';
}
