import fc from 'fast-check';
import { z } from 'zod';

/**
 * Values of a zod schema's output type, for property tests of the run-folder files: every value
 * the schema describes, within the kinds of schema those files use. A `figure` (a number written
 * as null when NaN) yields NaN too; zero comes out as +0, since JSON has no -0.
 */
export function arbitraryOf<S extends z.ZodType>(schema: S): fc.Arbitrary<z.output<S>> {
  return valuesOf(schema) as fc.Arbitrary<z.output<S>>;
}

function valuesOf(schema: z.ZodType): fc.Arbitrary<unknown> {
  const def = schema._zod.def;
  if (schema instanceof z.ZodNumber) {
    const base = schema.isInt
      ? fc.integer({ min: Math.max(schema.minValue ?? -1e6, -1e6), max: Math.min(schema.maxValue ?? 1e6, 1e6) })
      : fc.double({ min: Math.max(schema.minValue ?? -1e9, -1e9), max: Math.min(schema.maxValue ?? 1e9, 1e9), noNaN: true, noDefaultInfinity: true });
    return base.map((v) => (v === 0 ? 0 : v)).filter((v) => schema.safeParse(v).success);
  }
  if (schema instanceof z.ZodString) return fc.string({ maxLength: 12 });
  if (schema instanceof z.ZodBoolean) return fc.boolean();
  if (schema instanceof z.ZodLiteral) return fc.constantFrom(...schema.values);
  if (schema instanceof z.ZodEnum) return fc.constantFrom(...schema.options);
  if (schema instanceof z.ZodOptional) return fc.option(valuesOf(schema.unwrap() as z.ZodType), { nil: undefined });
  if (schema instanceof z.ZodNullable) return fc.option(valuesOf(schema.unwrap() as z.ZodType), { nil: null });
  if (schema instanceof z.ZodArray) {
    const min = schema._zod.def.checks?.some((c) => c._zod.def.check === 'min_length') ? 1 : 0;
    return fc.array(valuesOf(schema.element as z.ZodType), { minLength: min, maxLength: 3 });
  }
  if (schema instanceof z.ZodUnknown) return fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
  if (schema instanceof z.ZodUnion) return fc.oneof(...(schema.options as z.ZodType[]).map(valuesOf));
  if (schema instanceof z.ZodTuple) return fc.tuple(...(schema._zod.def.items as z.ZodType[]).map(arbitraryOf));
  if (schema instanceof z.ZodRecord) {
    const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__');
    return fc.dictionary(key, valuesOf(schema.valueType as z.ZodType), { maxKeys: 3 });
  }
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType>;
    const required = Object.keys(shape).filter((k) => !(shape[k] instanceof z.ZodOptional));
    const fields = Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v instanceof z.ZodOptional ? valuesOf(v.unwrap() as z.ZodType) : valuesOf(v)]));
    return fc.record(fields, { requiredKeys: required });
  }
  if (schema instanceof z.ZodPipe && schema.in instanceof z.ZodNullable && schema.in.unwrap() instanceof z.ZodNumber) {
    // `figure`: any finite number, or NaN (written as null).
    return fc.oneof(valuesOf(schema.in.unwrap() as z.ZodType), fc.constant(NaN));
  }
  throw new Error(`arbitraryOf: no generator for a zod '${def.type}'`);
}
