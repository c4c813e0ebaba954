import * as tf from '@tensorflow/tfjs';
import { TrainingError } from './errors';
import { fieldOf, methodOf } from './untyped';

/**
 * The parts of tfjs Tim relies on that its typings hide: AdamOptimizer's private state (saved
 * in checkpoints, advanced by the fused update), BatchNormalization's protected fields, and the
 * stock layer and activation classes, which tfjs-layers registers for serialization but does
 * not export. Each accessor checks at run time what it hands out, so a tfjs release that
 * renames one fails here, naming it, rather than training on undefined.
 */

const UNKNOWN_TFJS = `this version of @tensorflow/tfjs (${tf.version_core})`;

/** A moment slot of AdamOptimizer: the variable and the name it is saved under. */
export interface AdamSlot {
  originalName: string;
  variable: tf.Variable;
}

/** AdamOptimizer's private and protected state. */
export interface AdamState {
  learningRate: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: (AdamSlot | undefined)[];
  accumulatedSecondMoment: (AdamSlot | undefined)[];
}

function isAdamState(o: object): o is AdamState {
  return (
    'learningRate' in o &&
    typeof o.learningRate === 'number' &&
    'accBeta1' in o &&
    o.accBeta1 instanceof tf.Variable &&
    'accBeta2' in o &&
    o.accBeta2 instanceof tf.Variable &&
    'accumulatedFirstMoment' in o &&
    Array.isArray(o.accumulatedFirstMoment) &&
    'accumulatedSecondMoment' in o &&
    Array.isArray(o.accumulatedSecondMoment)
  );
}

/** The optimizer itself, seen with its hidden state (writes go to the optimizer). */
export function adamState(opt: tf.AdamOptimizer): AdamState {
  const o: object = opt;
  if (!isAdamState(o)) throw new TrainingError(`${UNKNOWN_TFJS} has an AdamOptimizer Tim does not know (learningRate, accBeta1, accBeta2, accumulated moments)`);
  return o;
}

/** BatchNormalization's protected fields, as they are once the layer is built. */
export interface BatchNormState {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

const optionalVariable = (v: unknown): boolean => v === null || v instanceof tf.LayerVariable;

function isBatchNormState(o: object): o is BatchNormState {
  return (
    'axis' in o &&
    typeof o.axis === 'number' &&
    'momentum' in o &&
    typeof o.momentum === 'number' &&
    'epsilon' in o &&
    typeof o.epsilon === 'number' &&
    'gamma' in o &&
    optionalVariable(o.gamma) &&
    'beta' in o &&
    optionalVariable(o.beta) &&
    'movingMean' in o &&
    o.movingMean instanceof tf.LayerVariable &&
    'movingVariance' in o &&
    o.movingVariance instanceof tf.LayerVariable
  );
}

/** The layer itself, seen with the stock BatchNormalization's fields (writes go to the layer). */
export function batchNormState(layer: tf.layers.Layer): BatchNormState {
  const o: object = layer;
  if (!isBatchNormState(o)) throw new TrainingError(`${layer.name}: ${UNKNOWN_TFJS} has a BatchNormalization layer Tim does not know (axis, momentum, epsilon, gamma, beta, moving statistics)`);
  return o;
}

/** What tfjs registered under `className` for deserialization. */
function registered(className: string): unknown {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new TrainingError(`${UNKNOWN_TFJS} has no '${className}' class registered`);
  return entry[0];
}

/** A stock layer class, constructed with the arguments its factory takes. */
export type LayerClass<Args> = (new (args?: Args) => tf.layers.Layer) & Pick<typeof tf.layers.Layer, 'fromConfig'>;

function isLayerClass<Args>(c: unknown): c is LayerClass<Args> {
  return typeof c === 'function' && c.prototype instanceof tf.layers.Layer;
}

/** The stock layer class registered under `className`, to subclass; `Args` are its factory's arguments. */
export function stockLayerClass<Args>(className: string): LayerClass<Args> {
  const c = registered(className);
  if (!isLayerClass<Args>(c)) throw new TrainingError(`${UNKNOWN_TFJS}: '${className}' is not a layer class`);
  return c;
}

/** A stock activation (tfjs-layers' `Activation` subclasses): serializable, with its config implemented. */
export interface StockActivation {
  apply(x: tf.Tensor): tf.Tensor;
  getConfig(): tf.serialization.ConfigDict;
  getClassName(): string;
}
export type ActivationClass = tf.serialization.SerializableConstructor<StockActivation>;

function isActivationClass(c: unknown): c is ActivationClass {
  // A layer is serializable and has `apply` too; an activation is not a layer.
  const proto: unknown = typeof c === 'function' ? c.prototype : undefined;
  return proto instanceof tf.serialization.Serializable && !(proto instanceof tf.layers.Layer) && 'apply' in proto && typeof proto.apply === 'function';
}

/** The stock activation registered under `name` ('gelu'), to subclass. */
export function stockActivationClass(name: string): ActivationClass {
  const c = registered(name);
  if (!isActivationClass(c)) throw new TrainingError(`${UNKNOWN_TFJS}: '${name}' is not an activation class`);
  return c;
}

/** Whether tfjs-node's backend computes on a CUDA device (its binding's isUsingGpuDevice); false where it cannot say. */
export function nodeBackendUsesGpu(backend: unknown): boolean {
  const isUsingGpuDevice = methodOf(fieldOf(backend, 'binding'), 'isUsingGpuDevice');
  return isUsingGpuDevice ? Boolean(isUsingGpuDevice()) : false;
}
