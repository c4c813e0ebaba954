import { TimError } from '../core/errors';
import { loadModel, readModelArtifacts, saveModel, type SaveOptions } from '../io/model-io';
import './layers';
import { getArchSpec } from './registry';
import type { TimModel } from './types';

/** Saves a model folder whose model.json metadata records `arch` and `numClasses`. */
export async function saveTimModel(tm: TimModel, dir: string, opts: SaveOptions = {}): Promise<void> {
  await saveModel(tm.model, dir, {
    ...opts,
    metadata: { ...(opts.metadata ?? {}), arch: tm.spec.name, numClasses: tm.numClasses },
  });
}

interface LayerJson {
  class_name?: string;
  config?: { batch_input_shape?: Array<number | null> };
}

/**
 * Frees the height and width of a saved model's image inputs: folders saved with a fixed input
 * size (every run before models were built size-free) then run at any size as well.
 */
export function anySizeTopology(topology: unknown): unknown {
  const t = topology as { model_config?: { config?: { layers?: LayerJson[] } }; config?: { layers?: LayerJson[] } };
  const layers = t.model_config?.config?.layers ?? t.config?.layers ?? [];
  for (const layer of layers) {
    const shape = layer.class_name === 'InputLayer' ? layer.config?.batch_input_shape : undefined;
    if (shape?.length === 4) {
      shape[1] = null;
      shape[2] = null;
    }
  }
  return topology;
}

/**
 * Loads a folder written by saveTimModel (custom layers are registered by importing this
 * module). The model takes images of any size, whatever size it was saved with.
 */
export async function loadTimModel(dir: string): Promise<TimModel> {
  const { metadata } = readModelArtifacts(dir);
  const arch = metadata?.arch;
  if (typeof arch !== 'string') throw new TimError(`${dir}: model.json has no 'arch' in its metadata (not saved by Tim?)`);
  const spec = getArchSpec(arch);
  const model = await loadModel(dir, anySizeTopology);
  const out = model.outputs[0]?.shape[1];
  const numClasses = typeof metadata?.numClasses === 'number' ? metadata.numClasses : typeof out === 'number' ? out : NaN;
  return { spec, model, numClasses };
}
