import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';

/** A tensor with a name, as optimizers' getWeights() return them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** A list of named tensors as a JSON manifest plus one binary blob, order preserved. */
export interface EncodedTensors {
  specs: tf.io.WeightsManifestEntry[];
  data: Uint8Array;
}

export async function encodeTensors(tensors: NamedTensor[]): Promise<EncodedTensors> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return { specs, data: new Uint8Array(data) };
}

/** Decodes back into the original order; the caller disposes the tensors. */
export function decodeTensors(specs: tf.io.WeightsManifestEntry[], data: Uint8Array, source: string): NamedTensor[] {
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new TimError(`${source}: duplicate tensor name '${s.name}'`);
    names.add(s.name);
  }
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  let map: tf.NamedTensorMap;
  try {
    map = tf.io.decodeWeights(buffer, specs);
  } catch (e) {
    throw new TimError(`${source}: cannot decode (${e instanceof Error ? e.message : String(e)})`);
  }
  return specs.map((s) => ({ name: s.name, tensor: map[s.name] as tf.Tensor }));
}

export function readBinary(file: string): Uint8Array {
  if (!fs.existsSync(file)) throw new TimError(`${file}: missing`);
  return new Uint8Array(fs.readFileSync(file));
}
