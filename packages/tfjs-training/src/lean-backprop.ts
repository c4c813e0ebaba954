import * as tf from '@tensorflow/tfjs';

/**
 * Back-propagation that frees memory as it goes, as PyTorch's autograd does. tfjs keeps every
 * tensor its forward pass saved for the backward pass, and the gradient of every intermediate
 * tensor, until the whole backward pass has ended: a training step's peak is then the saved
 * activations plus a gradient for each of them. Here a node's saved tensors are released as soon
 * as its gradient has been computed, and the gradient of a tensor as soon as the node that
 * produced it has used it, so the peak is the saved activations plus the gradients in flight.
 *
 * Installed over `engine.gradients` (what tf.grad, tf.grads, tf.variableGrads and
 * optimizer.minimize call); the results are the same tensors tfjs would compute, in the same
 * order. Higher-order gradients (a gradient taken inside another) keep tfjs's own method.
 */

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
  gradients: GradientsFn;
}

type GradientsFn = (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => { value: tf.Tensor; grads: tf.Tensor[] };

/**
 * The nodes on a path from `xs` to `y`, in execution order, each with only the inputs that
 * depend on `xs` (so no gradient is computed for anything that does not need one).
 */
export function nodesFromXsToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const reached = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      reached.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set([y.id]);
  const leads = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((o) => toY.has(o.id))) {
      leads.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  return tape
    .filter((n) => reached.has(n.id) && leads.has(n.id))
    .map((n) => ({ ...n, inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))) }));
}

function leanGradients(engine: EngineInternals, original: GradientsFn): GradientsFn {
  return function gradients(f, xs, dy, allowNoGradients = false) {
    if (engine.state.gradientDepth !== 0) return original.call(engine, f, xs, dy, allowNoGradients);
    if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
    if (dy && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => engine.tidy('forward', f),
    );
    if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
    const tape = engine.state.activeTape ?? [];
    const nodes = nodesFromXsToY(tape, xs, y);
    if (!allowNoGradients && nodes.length === 0) {
      throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.');
    }
    const xIds = new Set(xs.map((x) => x.id));
    try {
      return engine.tidy('backward', () => {
        const grad = new Map<number, tf.Tensor>();
        grad.set(y.id, dy ?? tf.onesLike(y));
        for (let i = nodes.length - 1; i >= 0; i--) {
          const node = nodes[i] as TapeNode;
          if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
          const dys = node.outputs.map((o) => grad.get(o.id) ?? null);
          const inputGrads = node.gradient(dys);
          const produced = new Set<tf.Tensor>();
          for (const [name, x] of Object.entries(node.inputs)) {
            const thunk = inputGrads[name];
            if (!thunk) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGrads).join(', ')}.`);
            const dx = engine.tidy(thunk);
            if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
            if (!tf.util.arraysEqual(dx.shape, x.shape)) {
              throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape.join(',')}', which does not match the shape of the input '${x.shape.join(',')}'`);
            }
            const prev = grad.get(x.id);
            let next = dx;
            if (prev) {
              next = tf.add(prev, dx);
              prev.dispose();
              // A gradient function may hand back a tensor it was given or gave another input.
              if (!produced.has(dx) && !dys.includes(dx)) dx.dispose();
            }
            grad.set(x.id, next);
            produced.add(next);
          }
          // This node was the last user of its saved tensors and of its outputs' gradients.
          for (const t of node.saved ?? []) t.dispose();
          node.saved = [];
          node.outputs.forEach((o, k) => {
            const d = dys[k];
            grad.delete(o.id);
            if (d && d !== dy && !produced.has(d) && !xIds.has(o.id)) d.dispose();
          });
        }
        return { value: y, grads: xs.map((x) => grad.get(x.id) as tf.Tensor) };
      });
    } finally {
      for (const node of tape) for (const t of node.saved ?? []) t.dispose();
      engine.state.activeTape = null;
    }
  };
}

const ENGINE_METHODS = ['startTape', 'endTape', 'scopedRun', 'tidy', 'gradients'] as const;

function missingInternals(engine: unknown): string[] {
  if (typeof engine !== 'object' || engine === null) return ['the engine itself'];
  const missing: string[] = ENGINE_METHODS.filter((m) => typeof Reflect.get(engine, m) !== 'function');
  const state: unknown = Reflect.get(engine, 'state');
  // activeTape is absent until the first tape starts, so only gradientDepth can be looked for.
  if (typeof state !== 'object' || state === null || typeof Reflect.get(state, 'gradientDepth') !== 'number') missing.push('state.gradientDepth');
  return missing;
}

function isEngineInternals(engine: unknown): engine is EngineInternals {
  return missingInternals(engine).length === 0;
}

/**
 * tf.engine() as the lean back-propagation uses it: these members are private in tfjs's types,
 * so they are checked here, once, rather than trusted.
 */
export function engineInternals(engine: unknown): EngineInternals {
  if (!isEngineInternals(engine)) throw new Error(`this tfjs engine lacks what Tim's back-propagation uses: ${missingInternals(engine).join(', ')}`);
  return engine;
}

let installed = false;

/** Replaces tfjs's back-propagation with the one above (once per process). */
export function installLeanBackprop(): void {
  if (installed) return;
  const engine = engineInternals(tf.engine());
  engine.gradients = leanGradients(engine, engine.gradients);
  installed = true;
}

/** Whether the lean back-propagation replaced tfjs's in this process. */
export function leanBackpropInstalled(): boolean {
  return installed;
}
