import * as tf from '@tensorflow/tfjs';

/**
 * The one way Tim puts kernels into tfjs. tfjs keeps a single kernel per (name, backend), so a
 * replacement would lose the stock kernel it displaces; this registry keeps it, so that
 * replacements can hand the cases they do not handle to it, a backend can fall back to stock ops,
 * and anything Tim changed can be put back.
 *
 *   registerKernels('wasm', { Conv2D: conv, TimAdam: adam });  // add or replace, once per name
 *   stockKernel('Conv2D', 'wasm');      // the tfjs kernel as it was before Tim's replaced it
 *   runStockKernel('Reshape', 'wasm', args);  // call it directly (no tape, no engine bookkeeping)
 *   registeredKernels('wasm');          // the names Tim registered for that backend
 *   restoreStockKernels('wasm');        // put the stock kernels back (drops Tim's additions)
 *   const undo = wrapKernels('wasm', (name, inner) => ...);  // wrap every kernel, e.g. to time it
 *
 * A replacement keeps the stock kernel's setupFunc and disposeFunc: the wasm backend binds its C
 * functions there when it starts, and replacements still call the stock kernel.
 */

export type KernelTable = Record<string, tf.KernelFunc>;

interface Entry {
  /** The tfjs kernel this one replaced, if there was one. */
  stock: tf.KernelConfig | undefined;
}

/** Tim's kernels, by backend and kernel name. */
const registered = new Map<string, Map<string, Entry>>();
/** Stock kernels saved before anything wrapped or replaced them, by backend and kernel name. */
const saved = new Map<string, Map<string, tf.KernelConfig>>();

function perBackend<T>(map: Map<string, Map<string, T>>, backendName: string): Map<string, T> {
  let inner = map.get(backendName);
  if (!inner) {
    inner = new Map();
    map.set(backendName, inner);
  }
  return inner;
}

function saveStock(config: tf.KernelConfig): void {
  const stock = perBackend(saved, config.backendName);
  if (!stock.has(config.kernelName) && !registered.get(config.backendName)?.has(config.kernelName)) stock.set(config.kernelName, config);
}

/**
 * Registers each kernel of `kernels` for `backendName`, replacing (and saving) a stock kernel of
 * the same name. A name Tim already registered for that backend is left as it is.
 */
export function registerKernels(backendName: string, kernels: KernelTable): void {
  const mine = perBackend(registered, backendName);
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    if (mine.has(kernelName)) continue;
    const existing = tf.getKernel(kernelName, backendName);
    if (existing) {
      saveStock(existing);
      tf.unregisterKernel(kernelName, backendName);
    }
    const stock = saved.get(backendName)?.get(kernelName);
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc,
      ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
      ...(stock?.disposeFunc ? { disposeFunc: stock.disposeFunc } : {}),
    });
    mine.set(kernelName, { stock });
  }
}

/** The stock tfjs kernel `kernelName` of `backendName`, as it was before Tim replaced or wrapped it. */
export function stockKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  const kept = saved.get(backendName)?.get(kernelName);
  if (kept) return kept;
  if (registered.get(backendName)?.has(kernelName)) return undefined;
  return tf.getKernel(kernelName, backendName);
}

/** Runs a stock kernel directly (no tape, no engine bookkeeping); the caller owns the result. */
export function runStockKernel(kernelName: string, backendName: string, args: Parameters<tf.KernelFunc>[0]): ReturnType<tf.KernelFunc> {
  const config = stockKernel(kernelName, backendName);
  if (!config) throw new Error(`${backendName} has no stock kernel ${kernelName}`);
  return config.kernelFunc(args);
}

/** The names of the kernels Tim registered for `backendName`. */
export function registeredKernels(backendName: string): string[] {
  return [...(registered.get(backendName)?.keys() ?? [])];
}

/** Puts back the stock kernels Tim replaced on `backendName` and removes the ones it added. */
export function restoreStockKernels(backendName: string): void {
  const mine = registered.get(backendName);
  if (!mine) return;
  for (const [kernelName, { stock }] of mine) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    if (stock) tf.registerKernel(stock);
  }
  registered.delete(backendName);
}

/**
 * Replaces every kernel of `backendName`, stock or Tim's, by `wrap(name, kernel)`; returns a
 * function that puts the kernels back as they were. Stock kernels are saved first, so
 * stockKernel still gives the unwrapped ones.
 */
export function wrapKernels(backendName: string, wrap: (kernelName: string, inner: tf.KernelFunc) => tf.KernelFunc): () => void {
  const before = tf.getKernelsForBackend(backendName);
  for (const config of before) {
    saveStock(config);
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc: wrap(config.kernelName, config.kernelFunc) });
  }
  return () => {
    for (const config of before) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(config);
    }
  };
}

/** Registers a gradient unless one is registered for that kernel already. */
export function registerGradientOnce(config: tf.GradConfig): void {
  if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}

/** Whether the active backend has Tim's kernel `kernelName` (a fused kernel: BN_TRAINING, LN, ADAM, GELU, SILU). */
export function timKernelAvailable(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}
