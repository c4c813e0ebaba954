import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { readJsonFile } from '../../io/json-file';
import { readModelArtifacts } from '../../io/model-io';
import '../layers';
import { guessWeightFamily } from '../registry';
import { readWeightFile, tfjsJsonOf, type WeightFormat } from './read';
import { numel } from './tensor';

export interface WeightFileInfo {
  file: string;
  format: WeightFormat;
  tensors: Array<{ name: string; dtype: string; shape: number[] }>;
  /** Elements over all tensors (BatchNorm statistics included). */
  totalElements: number;
  /** The family the names suggest, when they are torchvision's, timm's or Keras's. */
  looksLike?: string;
  /** tfjs model.json only: layer classes in the topology, and whether tfjs can build each. */
  layerClasses?: Array<{ className: string; count: number; registered: boolean }>;
  /** tfjs model.json only: what wrote it, and Tim's metadata if present. */
  generatedBy?: string;
  convertedBy?: string;
  metadata?: Record<string, unknown>;
}

/** A layer of a Keras topology: its class, and the layers inside it when it is a model. */
const topologyLayerSchema = z.looseObject({
  class_name: z.string().optional(),
  get config() {
    return z.looseObject({ layers: z.array(topologyLayerSchema).optional() }).optional();
  },
});
type TopologyLayer = z.infer<typeof topologyLayerSchema>;

/** What a model.json says about what wrote it and what it holds. */
const modelJsonInfoSchema = z.looseObject({
  generatedBy: z.string().nullable().optional(),
  convertedBy: z.string().nullable().optional(),
  modelTopology: topologyLayerSchema.extend({ model_config: topologyLayerSchema.optional() }).optional(),
});

function collectClasses(layer: TopologyLayer, counts: Map<string, number>): void {
  if (typeof layer.class_name === 'string' && !['Functional', 'Model', 'Sequential'].includes(layer.class_name)) {
    counts.set(layer.class_name, (counts.get(layer.class_name) ?? 0) + 1);
  }
  for (const inner of layer.config?.layers ?? []) collectClasses(inner, counts);
}

/** What a weight file holds: its format, tensors, and (for model.json) the layer classes it needs. */
export function describeWeightFile(file: string): WeightFileInfo {
  const { format, tensors } = readWeightFile(file);
  const info: WeightFileInfo = {
    file,
    format,
    tensors: [...tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })),
    totalElements: [...tensors.values()].reduce((n, t) => n + numel(t.shape), 0),
  };
  const guess = guessWeightFamily(tensors.keys());
  if (guess !== undefined) info.looksLike = guess;
  const json = tfjsJsonOf(file);
  if (json !== undefined) {
    const raw = readJsonFile(json, modelJsonInfoSchema);
    const counts = new Map<string, number>();
    const topo = raw.modelTopology?.model_config ?? raw.modelTopology;
    if (topo) collectClasses(topo, counts);
    const known = tf.serialization.SerializationMap.getMap().classNameMap;
    info.layerClasses = [...counts].map(([className, count]) => ({ className, count, registered: className in known }));
    if (raw.generatedBy) info.generatedBy = raw.generatedBy;
    if (raw.convertedBy) info.convertedBy = raw.convertedBy;
    const meta = readModelArtifacts(json).metadata;
    if (meta) info.metadata = meta;
  }
  return info;
}

/** A readable listing: a header, then one line per tensor. */
export function formatWeightInfo(info: WeightFileInfo): string {
  const lines = [
    `${info.file}: ${info.format}, ${info.tensors.length} tensors, ${info.totalElements.toLocaleString('en-US')} values${info.looksLike ? `; looks like ${info.looksLike}` : ''}`,
  ];
  if (info.generatedBy || info.convertedBy) lines.push(`written by: ${[info.generatedBy, info.convertedBy].filter(Boolean).join(', ')}`);
  if (info.metadata) lines.push(`metadata: ${JSON.stringify(info.metadata)}`);
  if (info.layerClasses) {
    lines.push(`layer classes: ${info.layerClasses.map((c) => `${c.className}×${c.count}${c.registered ? '' : ' (not registered in tfjs)'}`).join(', ')}`);
  }
  const width = Math.max(4, ...info.tensors.map((t) => t.name.length));
  lines.push(`${'name'.padEnd(width)}  dtype  shape`);
  for (const t of info.tensors) lines.push(`${t.name.padEnd(width)}  ${t.dtype.padEnd(5)}  [${t.shape.join(', ')}]`);
  return lines.join('\n');
}
