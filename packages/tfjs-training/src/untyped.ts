/**
 * Fields of the objects tfjs and Emscripten hand out untyped (a backend, its Emscripten module,
 * that module's thread pool), read where they are used and checked there, instead of cast to a
 * shape that a different build might not have.
 */

/** o[name], or undefined where o is not an object. */
export function fieldOf(o: unknown, name: string): unknown {
  return typeof o === 'object' && o !== null ? Reflect.get(o, name) : undefined;
}

/** o[name] bound to o, or undefined where it is not a function. */
export function methodOf(o: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  const f = fieldOf(o, name);
  return typeof f === 'function' ? (...args: unknown[]): unknown => Reflect.apply(f, o, args) : undefined;
}
