import { TimError } from '../core/errors';
import { unknownNameMessage } from '../core/suggest';
import { convnextTiny } from './convnext';
import { efficientnetB0 } from './efficientnet';
import './layers';
import { resnet50 } from './resnet';
import { tinyCnn } from './tiny-cnn';
import type { ArchSpec, BuildOptions, TimModel } from './types';

const REGISTRY = new Map<string, ArchSpec>();

export function registerArch(spec: ArchSpec): void {
  REGISTRY.set(spec.name, spec);
}

for (const spec of [tinyCnn, resnet50, efficientnetB0, convnextTiny]) registerArch(spec);

export function archNames(): string[] {
  return [...REGISTRY.keys()].sort();
}

export function getArchSpec(arch: string): ArchSpec {
  const spec = REGISTRY.get(arch);
  if (!spec) throw new TimError(unknownNameMessage('architecture', arch, archNames()));
  return spec;
}

/** Builds a freshly initialised model of a registered architecture. */
export function createModel(arch: string, opts: BuildOptions): TimModel {
  const spec = getArchSpec(arch);
  return { spec, model: spec.build(opts), numClasses: opts.numClasses };
}
