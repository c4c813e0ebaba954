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

for (const spec of [resnet50, efficientnetB0, convnextTiny, tinyCnn]) registerArch(spec);

export function archNames(): string[] {
  return [...REGISTRY.keys()].sort();
}

export function getArchSpec(arch: string): ArchSpec {
  const spec = REGISTRY.get(arch);
  if (!spec) throw new TimError(unknownNameMessage('architecture', arch, archNames()));
  return spec;
}

/**
 * What a set of weight names looks like, for the wrong-architecture message: one of the
 * registered architectures' own files first, then the look-alikes that cannot carry over.
 */
export function guessWeightFamily(keys: Iterable<string>): string | undefined {
  const names = [...keys].join('\n');
  const specs = [...REGISTRY.values()];
  const families = [...specs.map((s) => s.weights), ...specs.flatMap((s) => s.foreignWeights ?? [])];
  return families.find((f) => f.recognisesWeights(names))?.looksLike;
}

/** Builds a freshly initialised model of a registered architecture. */
export function createModel(arch: string, opts: BuildOptions): TimModel {
  const spec = getArchSpec(arch);
  return { spec, model: spec.build(opts), numClasses: opts.numClasses };
}
