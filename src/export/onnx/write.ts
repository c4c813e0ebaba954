import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import type * as tf from '@tensorflow/tfjs';
import { layersModelToOnnxGraph, ONNX_OPSET } from './graph';

const SCHEMA = path.join(__dirname, 'onnx.proto');
/** IR version 8 goes with opset 17 (onnx/docs/Versioning.md). */
const IR_VERSION = 8;

let modelType: protobuf.Type | undefined;

function modelProto(): protobuf.Type {
  modelType ??= protobuf.parse(fs.readFileSync(SCHEMA, 'utf8'), { keepCase: false }).root.lookupType('onnx.ModelProto');
  return modelType;
}

export interface OnnxExportOptions {
  /** Written as the model's metadata_props (labels, preprocessing, provenance). */
  metadata?: Record<string, string>;
  docString?: string;
}

/** Encodes a Tim model as an ONNX model file's bytes. */
export async function encodeOnnx(model: tf.LayersModel, graphName: string, opts: OnnxExportOptions = {}): Promise<Uint8Array> {
  const graph = await layersModelToOnnxGraph(model, graphName);
  const type = modelProto();
  const message = type.fromObject({
    irVersion: IR_VERSION,
    producerName: 'tim',
    producerVersion: '0.1.0',
    docString: opts.docString ?? '',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return type.encode(message).finish();
}

/** Decodes an ONNX file back into plain objects, to check what was written. */
export function decodeOnnx(bytes: Uint8Array): Record<string, unknown> {
  const type = modelProto();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: Array, defaults: false });
}
