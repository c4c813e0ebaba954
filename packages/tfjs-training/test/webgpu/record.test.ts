import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import fc from 'fast-check';
import { recordOfProgram, stockSerialMultiplyAdds } from '../../src/webgpu/record';

/**
 * The serial work of stock tfjs-backend-webgpu programs, from their type, uniforms and shapes:
 * stand-ins carry the class names and fields of the 4.22 programs.
 */
const base = { getUserCode: () => '', shaderKey: 'k', dispatchLayout: { x: [0] } };

class Conv2DDerFilterProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms = 'pads : vec2<i32>, strides : vec2<i32>, batchSize : i32, outHeight : i32, outWidth : i32, inHeight : i32, inWidth : i32,';
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  constructor(
    readonly outputShape: number[],
    readonly dispatch: [number, number, number],
  ) {}
}
class Conv2DDerInputProgram {
  readonly variableNames = ['dy', 'W'];
  readonly uniforms = 'filterDims : vec2<i32>, pads : vec2<i32>, strides : vec2<i32>, outBackprop : vec4<i32>,';
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  constructor(
    readonly outputShape: number[],
    readonly dispatch: [number, number, number],
  ) {}
}
class MatMulPackedProgram {
  readonly variableNames = ['A', 'B'];
  readonly uniforms = 'dimAOuter : i32, dimBOuter : i32, dimInner : i32,';
  readonly workgroupSize: [number, number, number] = [8, 8, 1];
  constructor(
    readonly outputShape: number[],
    readonly dispatch: [number, number, number],
  ) {}
}
class UnaryOpProgram {
  readonly variableNames = ['A'];
  readonly workgroupSize: [number, number, number] = [128, 1, 1];
  readonly outputShape = [1024];
  readonly dispatch: [number, number, number] = [8, 1, 1];
}

const program = (p: object): WebGPUProgram => Object.assign(p, base) as WebGPUProgram;
const int = (v: number) => ({ type: 'int32' as const, data: [v] });
const vec = (...v: number[]) => ({ type: 'int32' as const, data: v });

describe('serial multiply-adds of stock programs', () => {
  it('Conv2DDerFilter: one weight per invocation summing batch × out-height × out-width products', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 112 }), fc.integer({ min: 1, max: 112 }), (n, h, w) => {
        // 7×7×3×64 weights, one per invocation, 64 per workgroup.
        const p = program(new Conv2DDerFilterProgram([7, 7, 3, 64], [147, 1, 1]));
        const uniforms = [vec(3, 3), vec(2, 2), int(n), int(h), int(w), int(2 * h), int(2 * w)];
        expect(stockSerialMultiplyAdds(p, [], uniforms)).toBe(n * h * w);
      }),
    );
  });

  it('the naive Conv2DDerInput: filter-height × filter-width × out-channels', () => {
    const p = program(new Conv2DDerInputProgram([32, 56, 56, 64], [(32 * 56 * 56 * 64) / 64, 1, 1]));
    expect(stockSerialMultiplyAdds(p, [], [vec(3, 3), vec(1, 1), vec(1, 1), vec(32, 56, 56, 64)])).toBe(3 * 3 * 64);
  });

  it('a tiled matrix product: the inner dimension times the outputs of one invocation', () => {
    // 64×64 outputs from 2×2 workgroups of 8×8: 4×4 outputs per invocation.
    const p = program(new MatMulPackedProgram([1, 64, 64], [2, 2, 1]));
    expect(stockSerialMultiplyAdds(p, [], [int(64), int(64), int(500)])).toBe(500 * 16);
  });

  it('is not stated for elementwise programs, and comes from the program for Tim’s', () => {
    expect(recordOfProgram(program(new UnaryOpProgram()), [], undefined)).toEqual({ program: 'UnaryOpProgram', tim: false, invocations: 1024 });
    const tim = program({ variableNames: ['X'], workgroupSize: [256, 1, 1], outputShape: [10], dispatch: [3, 1, 1], serialMultiplyAdds: 7 });
    expect(recordOfProgram({ ...tim, shaderKey: 'TimThing_3' }, [], undefined)).toEqual({ program: 'TimThing', tim: true, invocations: 768, serialMultiplyAdds: 7, storageBuffers: 2 });
  });
});
