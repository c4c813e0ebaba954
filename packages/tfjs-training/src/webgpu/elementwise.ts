import { ENTRY_BUILTINS, FLAT_GROUP, gridOf, type TimMultiOutputProgram } from './dispatch';

/** Threads per workgroup of Tim's elementwise programs. */
const THREADS = 256;

/**
 * A program that runs `body` once per element index `i` (a WGSL `i32`, below `u.n`) over
 * `count` elements: one invocation per element, no loop. `body` reads the inputs and writes the
 * outputs at `i`; the uniform `n` comes first, the other fields after it.
 */
export function elementwiseProgram(spec: {
  name: string;
  count: number;
  inputs: string[];
  outputShapes: number[][];
  uniforms?: { name: string; type: 'i32' | 'f32' }[];
  /** WGSL functions the body calls. */
  functions?: string;
  body: string;
}): TimMultiOutputProgram {
  const dispatch = gridOf(Math.ceil(spec.count / THREADS));
  return {
    shaderKey: spec.name,
    variableNames: spec.inputs,
    outputShapes: spec.outputShapes,
    outputShape: spec.outputShapes[0] ?? [spec.count],
    uniformFields: [{ name: 'n', type: 'i32' }, ...(spec.uniforms ?? [])],
    dispatchLayout: { x: [0] },
    dispatch,
    workgroupSize: [THREADS, 1, 1],
    serialMultiplyAdds: 0,
    getUserCode: () => `${spec.functions ?? ''}
@compute @workgroup_size(${THREADS}) fn main(${ENTRY_BUILTINS}) {
  let i = i32((${FLAT_GROUP}) * ${THREADS}u + li);
  if (i >= u.n) { return; }
  ${spec.body}
}`,
  };
}
