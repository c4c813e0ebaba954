import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/**
 * A WGSL program of Tim's. Beyond what tfjs needs to run it, it states the serial work of one
 * invocation, so the dispatch report can say how long the longest loop on the GPU is without
 * running it (the figure depends on the shapes only, never on the device).
 */
export interface TimWebGPUProgram extends WebGPUProgram {
  /** The most multiply-adds (summed products) one invocation does one after another. */
  readonly serialMultiplyAdds: number;
}

/** Whether `program` is one of Tim's (as opposed to a stock tfjs-backend-webgpu program). */
export function isTimProgram(program: WebGPUProgram): program is TimWebGPUProgram {
  return typeof (program as Partial<TimWebGPUProgram>).serialMultiplyAdds === 'number';
}
