import { IntUniforms, type UniformProgram } from './run-program';

/**
 * Adds the `splits` partial results of a split-K pass: partial [splits, ...shape] → [...shape].
 * One invocation per output element; neighbours read neighbouring addresses in every slice.
 */
export class SplitSumProgram implements UniformProgram {
  readonly variableNames = ['partial'];
  readonly outputShape: number[];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly size = true;
  shaderKey = 'timSplitSum';
  readonly intUniforms: IntUniforms;
  readonly uniforms: string;
  readonly serialMultiplyAdds: number;

  constructor(shape: number[], splits: number) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    const size = shape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / this.workgroupSize[0]), 1, 1];
    this.intUniforms = new IntUniforms({ splits });
    this.uniforms = this.intUniforms.declaration();
    this.serialMultiplyAdds = splits;
  }

  getUserCode(): string {
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        var total = 0.0;
        for (var s = 0; s < uniforms.splits; s++) {
          total += partial[s * uniforms.size + index];
        }
        result[index] = total;
      }
    }
    `;
  }
}
