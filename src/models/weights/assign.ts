import * as tf from '@tensorflow/tfjs';
import { TimError } from '../../core/errors';
import { guessWeightFamily } from '../registry';
import type { ArchSpec } from '../types';
import { splitTfWeightName, TF_PARAM_TO_TORCH } from './keras-tfjs';
import type { WeightFormat } from './read';
import { numel, type RawTensor, type StateDict } from './tensor';

/**
 * Places a state dict named after torchvision modules into a model whose layers carry the
 * same names. Each tfjs weight has exactly one torch key; the layouts are converted:
 * convolutions OIHW -> HWIO, depthwise [C,1,kh,kw] -> [kh,kw,C,1], linear weights transposed.
 */
type SlotKind = 'conv' | 'depthwise' | 'dense' | 'vector' | 'scale';

interface Slot {
  key: string;
  kind: SlotKind;
  variable: tf.LayerVariable;
}

const BN_PARAMS: Record<string, string> = { gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var' };

/** Every weight of the model with its torchvision key. */
export function slotsOf(model: tf.LayersModel): Slot[] {
  const slots: Slot[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    for (const variable of layer.weights) {
      const param = variable.originalName.split('/').pop() ?? '';
      let kind: SlotKind = 'vector';
      let key = `${layer.name}.${param === 'bias' || param === 'beta' ? 'bias' : 'weight'}`;
      if (cls === 'Conv2D' && param === 'kernel') kind = 'conv';
      else if (cls === 'DepthwiseConv2D' && param === 'depthwise_kernel') kind = 'depthwise';
      else if (cls === 'Dense' && param === 'kernel') kind = 'dense';
      else if (cls === 'BatchNormalization') key = `${layer.name}.${BN_PARAMS[param] ?? param}`;
      else if (cls === 'LayerScale') {
        kind = 'scale';
        key = layer.name;
      }
      slots.push({ key, kind, variable });
    }
  }
  return slots;
}

/** The torch-layout shape a slot expects. */
function torchShape(slot: Slot): number[] {
  const s = slot.variable.shape as number[];
  switch (slot.kind) {
    case 'conv':
      return [s[3]!, s[2]!, s[0]!, s[1]!];
    case 'depthwise':
      return [s[2]!, s[3]!, s[0]!, s[1]!];
    case 'dense':
      return [s[1]!, s[0]!];
    default:
      return s;
  }
}

const squeeze = (shape: readonly number[]): string => shape.filter((d) => d !== 1).join(',');
const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function toTf(raw: RawTensor, slot: Slot): tf.Tensor {
  const target = slot.variable.shape as number[];
  if (raw.layout === 'tf' || slot.kind === 'scale' || slot.kind === 'vector') return tf.tensor(raw.data, target);
  const t = tf.tensor(raw.data, raw.shape);
  const perm = slot.kind === 'conv' ? [2, 3, 1, 0] : slot.kind === 'depthwise' ? [2, 3, 0, 1] : [1, 0];
  const out = tf.transpose(t, perm);
  t.dispose();
  return out;
}

function shapeFits(raw: RawTensor, slot: Slot): boolean {
  if (numel(raw.shape) !== numel(slot.variable.shape as number[])) return false;
  // Keras's grouped depthwise kernel [kh,kw,1,C] and torch's layer scale [C,1,1] differ only in unit axes.
  if (raw.layout === 'tf' || slot.kind === 'scale') return squeeze(raw.shape) === squeeze(slot.variable.shape as number[]);
  return raw.shape.join(',') === torchShape(slot).join(',');
}

/** Keys of a file in another naming scheme, renamed to torchvision's where the family knows how. */
export function toTorchvisionNames(spec: ArchSpec, tensors: StateDict, format: WeightFormat): StateDict {
  const out: StateDict = new Map();
  for (const [name, t] of tensors) {
    let key: string | undefined;
    if (format === 'tfjs') {
      const mapped = spec.kerasToTorchvision?.(name);
      if (mapped === null) continue; // a weight Tim has no use for (Keras preprocessing)
      key = mapped;
      if (key === undefined) {
        // Tim's own folders: the layer is named after the torch module.
        const { layer, param } = splitTfWeightName(name);
        const torchParam = TF_PARAM_TO_TORCH[param];
        // A layer scale is a bare torch parameter named after its module.
        key = layer.endsWith('layer_scale') ? layer : torchParam === undefined ? name : `${layer}.${torchParam}`;
      }
    } else {
      key = name;
    }
    out.set(key, t);
  }
  if (format !== 'tfjs' && spec.timmToTorchvision) {
    const renamed: StateDict = new Map();
    for (const [k, t] of out) renamed.set(spec.timmToTorchvision(k) ?? k, t);
    // Only when the file really uses timm's names (torchvision's keys pass through unchanged).
    if ([...renamed.keys()].filter((k) => !out.has(k)).length > 0) return renamed;
  }
  return out;
}

const ignorable = (k: string): boolean => k.endsWith('num_batches_tracked');

/**
 * Copies every tensor into the model. Missing or unexpected keys, a shape that does not fit,
 * or a file of another architecture are one-line errors naming the file and the key.
 */
export function assignStateDict(model: tf.LayersModel, spec: ArchSpec, tensors: StateDict, file: string): void {
  const slots = slotsOf(model);
  const expected = new Set(slots.map((s) => s.key));
  const provided = [...tensors.keys()].filter((k) => !ignorable(k));
  const missing = slots.map((s) => s.key).filter((k) => !tensors.has(k));
  const unexpected = provided.filter((k) => !expected.has(k));
  const more = (list: string[]): string => (list.length > 1 ? ` (and ${list.length - 1} more)` : '');
  if (missing.length > 0 || unexpected.length > 0) {
    const guess = guessWeightFamily(tensors.keys());
    const ours = guessWeightFamily(expected);
    if (guess !== undefined && guess !== ours && missing.length > expected.size / 2) {
      throw new TimError(`${file}: not ${spec.name} weights; it looks like ${guess} (${missing.length} of ${expected.size} keys missing, e.g. '${missing[0] ?? ''}')`);
    }
    if (missing.length > 0) throw new TimError(`${file}: missing key '${missing[0] ?? ''}' for ${spec.name}${more(missing)}`);
    throw new TimError(`${file}: unexpected key '${unexpected[0] ?? ''}' for ${spec.name}${more(unexpected)}`);
  }
  for (const slot of slots) {
    const raw = tensors.get(slot.key)!;
    if (!shapeFits(raw, slot)) {
      const want = raw.layout === 'tf' ? (slot.variable.shape as number[]) : torchShape(slot);
      throw new TimError(`${file}: key '${slot.key}' has shape ${fmt(raw.shape)}, ${spec.name} expects ${fmt(want)}`);
    }
  }
  for (const slot of slots) {
    tf.tidy(() => {
      slot.variable.write(toTf(tensors.get(slot.key)!, slot));
    });
  }
}

/** Number of classes of the file's classifier, read from its torch-named weight. */
export function headClassesOf(spec: ArchSpec, tensors: StateDict): number | undefined {
  const w = tensors.get(`${spec.pretrained.classifier}.weight`);
  if (!w) return undefined;
  return w.layout === 'tf' ? w.shape[w.shape.length - 1] : w.shape[0];
}
