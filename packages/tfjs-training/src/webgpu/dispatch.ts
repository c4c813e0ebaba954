import * as tf from '@tensorflow/tfjs';
import { type GpuDeviceLike, type UniformField, webgpuBackendOf } from './access';
import type { TimWebGPUProgram } from './program';
import { isDispatchRecording, programName, recordDispatch } from './record';

/**
 * A program of Tim's with several outputs. tfjs's runWebGPUProgram binds one output; a fused
 * kernel (Adam's value and two moments, a normalisation's values and statistics) needs several
 * from one dispatch, so these programs are run here, through the same backend: its buffers,
 * uniform buffers, command encoder and submit batching.
 *
 * The shader sees outputs `out0`, `out1`, … (read-write f32 arrays), then the tensors it
 * updates in place under `inPlaceNames` (read-write), then the inputs under `variableNames`
 * (read-only f32 arrays), then `u`, a struct of the scalar uniforms in `uniformFields`.
 * getUserCode() returns the entry point `main` with its @workgroup_size.
 */
export interface TimMultiOutputProgram extends TimWebGPUProgram {
  outputShapes: number[][];
  uniformFields: { name: string; type: 'i32' | 'f32' }[];
  /**
   * Tensors the program overwrites rather than allocating outputs for: only for tensors that
   * nothing else shares (see ownsBuffer), such as an optimizer's variables and slots.
   */
  inPlaceNames?: string[];
}

/** WebGPU's guaranteed workgroups per dimension; larger grids go into y. */
const MAX_GROUPS = 65535;

/** A 1-D grid of `groups` workgroups laid out within the per-dimension limit. */
export function gridOf(groups: number): [number, number, number] {
  const x = Math.min(Math.max(1, groups), MAX_GROUPS);
  return [x, Math.ceil(Math.max(1, groups) / x), 1];
}

/** The flat workgroup index in a grid made by gridOf (WGSL). */
export const FLAT_GROUP = 'wg.y * nwg.x + wg.x';

export const ENTRY_BUILTINS =
  '@builtin(local_invocation_index) li : u32, @builtin(workgroup_id) wg : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>';

function shaderSource(p: TimMultiOutputProgram): string {
  const fields = p.uniformFields.map((f) => `${f.name} : ${f.type},`).join(' ');
  const writable = [...p.outputShapes.map((_, i) => `out${i}`), ...(p.inPlaceNames ?? [])];
  const outs = writable.map((n, i) => `@group(0) @binding(${i}) var<storage, read_write> ${n} : array<f32>;`);
  const ins = p.variableNames.map((n, i) => `@group(0) @binding(${writable.length + i}) var<storage, read> ${n} : array<f32>;`);
  const uniform = `@group(0) @binding(${writable.length + p.variableNames.length}) var<uniform> u : Uniforms;`;
  return [`struct Uniforms { ${fields} };`, ...outs, ...ins, uniform, p.getUserCode()].join('\n');
}

interface Pipeline {
  pipeline: object;
  layout: object;
}
/** GPUShaderStage.COMPUTE. */
const COMPUTE_STAGE = 4;
const pipelines = new WeakMap<GpuDeviceLike, Map<string, Pipeline>>();

function pipelineOf(device: GpuDeviceLike, p: TimMultiOutputProgram): Pipeline {
  let cache = pipelines.get(device);
  if (!cache) {
    cache = new Map();
    pipelines.set(device, cache);
  }
  let pipeline = cache.get(p.shaderKey);
  if (!pipeline) {
    const module = device.createShaderModule({ code: shaderSource(p), label: p.shaderKey });
    // An explicit layout: 'auto' would drop the bindings a shader happens not to read.
    const writable = p.outputShapes.length + (p.inPlaceNames?.length ?? 0);
    const types = [...Array.from({ length: writable }, () => 'storage' as const), ...p.variableNames.map(() => 'read-only-storage' as const), 'uniform' as const];
    const layout = device.createBindGroupLayout({ entries: types.map((type, binding) => ({ binding, visibility: COMPUTE_STAGE, buffer: { type } })) });
    const compute = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main' }, label: p.shaderKey });
    pipeline = { pipeline: compute, layout };
    cache.set(p.shaderKey, pipeline);
  }
  return pipeline;
}

/**
 * Whether `t`'s GPU buffer belongs to it alone, so that a program may overwrite it: no other
 * tensor shares its data (a reshape or clone does) and no copy of its values is kept on the CPU.
 */
export function ownsBuffer(backendObject: unknown, t: tf.TensorInfo): boolean {
  const backend = webgpuBackendOf(backendObject);
  backend.uploadToGPU(t.dataId);
  const data = backend.tensorMap.get(t.dataId);
  return t.dtype === 'float32' && data !== undefined && data.refCount === 1 && data.values == null && typeof data.resource === 'object' && data.resource !== null;
}

/**
 * Runs `program` on the webgpu backend `backendObject` with float32 `inputs`, the tensors
 * `inPlace` it overwrites (in the order of inPlaceNames; each must pass ownsBuffer) and the
 * uniform values `uniforms` (in the order of uniformFields); returns its outputs.
 */
export function runTimProgram(backendObject: unknown, program: TimMultiOutputProgram, inputs: tf.TensorInfo[], uniforms: number[], inPlace: tf.TensorInfo[] = []): tf.TensorInfo[] {
  const backend = webgpuBackendOf(backendObject);
  if (inPlace.length !== (program.inPlaceNames?.length ?? 0)) throw new Error(`${program.shaderKey}: ${inPlace.length} tensors to update in place, the program names ${program.inPlaceNames?.length ?? 0}`);
  const outputs = [...program.outputShapes.map((s) => backend.makeTensorInfo(s, 'float32')), ...inPlace];
  for (const t of [...outputs, ...inputs]) backend.uploadToGPU(t.dataId);
  const fields: UniformField[] = program.uniformFields.map((f, i) => ({ type: f.type === 'i32' ? 'int32' : 'float32', data: [uniforms[i] ?? 0] }));
  const pipeline = pipelineOf(backend.device, program);
  const resources = [...outputs, ...inputs].map((t) => {
    const buffer = backend.tensorMap.get(t.dataId)?.resource;
    if (typeof buffer !== 'object' || buffer === null) throw new Error(`${program.shaderKey}: a tensor of shape [${t.shape.join(', ')}] has no GPU buffer`);
    return { buffer };
  });
  const bindGroup = backend.device.createBindGroup({
    layout: pipeline.layout,
    entries: [...resources, backend.makeUniforms(fields)].map((resource, binding) => ({ binding, resource })),
  });
  // As the backend's own dispatches: buffers in a pending command stay alive until it is submitted.
  for (const t of [...outputs, ...inputs]) backend.commandQueueOwnedIds.add(t.dataId);
  backend.ensureCommandEncoderReady();
  const timers = backend.activeTimers;
  const timed = Array.isArray(timers) && backend.supportTimestampQuery === true && backend.getQueryTime !== undefined;
  if (timed) {
    // As the backend times its own programs: a pass of one's own, with timestamps at both ends.
    backend.endComputePassEncoder();
    backend.querySet ??= backend.device.createQuerySet({ type: 'timestamp', count: 2 });
    backend.computePassEncoder = backend.commandEncoder?.beginComputePass({ timestampWrites: { querySet: backend.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } }) ?? null;
  } else if (!backend.computePassEncoder) backend.computePassEncoder = backend.commandEncoder?.beginComputePass({}) ?? null;
  const pass = backend.computePassEncoder;
  if (!pass) throw new Error('the webgpu backend has no command encoder');
  pass.setPipeline(pipeline.pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(...program.dispatch);
  backend.dispatchCountInPass++;
  if (timed && backend.getQueryTime) {
    backend.endComputePassEncoder();
    timers.push({ name: programName(program), query: backend.getQueryTime() });
  } else if (backend.dispatchCountInPass >= tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  if (isDispatchRecording()) {
    const invocations = program.dispatch.reduce((a, b) => a * b, 1) * program.workgroupSize.reduce((a, b) => a * b, 1);
    recordDispatch({ program: programName(program), tim: true, invocations, serialMultiplyAdds: program.serialMultiplyAdds, storageBuffers: outputs.length + inputs.length });
  }
  return outputs.slice(0, program.outputShapes.length);
}
