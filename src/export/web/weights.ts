import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { TimError } from '../../core/errors';
import { MODEL_JSON } from '../../io/model-io';
import { weightShardName } from '../../io/run-folder';
import { anySizeTopology } from '../../models';

export const QUANTIZATIONS = ['float16', 'uint8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

/** tfjs's loader fetches shards in parallel; 4 MiB is what tensorflowjs_converter writes. */
const SHARD_BYTES = 4 * 1024 * 1024;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half precision, rounded to nearest even (what tfjs's float16 decoder reads back). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

interface Encoded {
  bytes: Uint8Array;
  quantization?: tf.io.WeightsManifestEntry['quantization'];
}

function encode(values: Float32Array, q: Quantization | undefined): Encoded {
  if (q === undefined) return { bytes: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
  if (q === 'float16') {
    const out = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i] as number);
    return { bytes: new Uint8Array(out.buffer), quantization: { dtype: 'float16' } };
  }
  // Affine uint8 per tensor: value = q · scale + min, as tensorflowjs_converter's uint8 does.
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) min = max = 0;
  const scale = max > min ? (max - min) / 255 : 1;
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.round(((values[i] as number) - min) / scale);
  return { bytes: out, quantization: { dtype: 'uint8', min, scale } };
}

export interface WebModelFiles {
  modelJson: string;
  shards: string[];
  bytes: number;
}

/**
 * Writes `model.json` and weight shards that stock `tf.loadLayersModel` reads, with the
 * weights optionally stored as float16 or uint8 (tfjs dequantises them as it loads). The
 * topology keeps any input size.
 */
export async function writeWebModel(model: tf.LayersModel, dir: string, quantize: Quantization | undefined, metadata: Record<string, unknown>): Promise<WebModelFiles> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightSpecs || artifacts.weightData === undefined) throw new TimError(`${dir}: the model produced no weights to write`);
  const all = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const size = n * 4;
    const slice = all.slice(offset, offset + size);
    offset += size;
    // Only float weights are quantised; integer ones (none in Tim's models) go as they are.
    const encoded = spec.dtype === 'float32' ? encode(new Float32Array(slice.buffer), quantize) : { bytes: slice };
    specs.push({ ...spec, ...(encoded.quantization ? { quantization: encoded.quantization } : {}) });
    parts.push(encoded.bytes);
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  const count = Math.max(1, Math.ceil(total / SHARD_BYTES));
  const shards = Array.from({ length: count }, (_, i) => weightShardName(i, count));
  fs.mkdirSync(dir, { recursive: true });
  shards.forEach((name, i) => fs.writeFileSync(path.join(dir, name), joined.subarray(i * SHARD_BYTES, Math.min(total, (i + 1) * SHARD_BYTES))));
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: 'tim export --format web',
    modelTopology: anySizeTopology(artifacts.modelTopology),
    weightsManifest: [{ paths: shards, weights: specs }],
    userDefinedMetadata: metadata,
  };
  fs.writeFileSync(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
  return { modelJson: path.join(dir, MODEL_JSON), shards, bytes: total };
}
