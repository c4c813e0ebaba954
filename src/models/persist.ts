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

/** Loads a folder written by saveTimModel (custom layers are registered by importing this module). */
export async function loadTimModel(dir: string): Promise<TimModel> {
  const { metadata } = readModelArtifacts(dir);
  const arch = metadata?.arch;
  if (typeof arch !== 'string') throw new TimError(`${dir}: model.json has no 'arch' in its metadata (not saved by Tim?)`);
  const spec = getArchSpec(arch);
  const model = await loadModel(dir);
  const out = model.outputs[0]?.shape[1];
  const numClasses = typeof metadata?.numClasses === 'number' ? metadata.numClasses : typeof out === 'number' ? out : NaN;
  return { spec, model, numClasses };
}
