import { IntUniforms, type UniformProgram } from './run-program';
import type { SplitPlan } from './split-plan';

/**
 * A program whose reduction `plan` cuts into slices: with more than one, its output gains a
 * leading axis of partial sums, which SplitSumProgram adds. Its grid is three-dimensional, and
 * its integer uniforms end with the plan's `slice`.
 */
export abstract class SplitReductionProgram implements UniformProgram {
  abstract readonly variableNames: string[];
  abstract readonly workgroupSize: [number, number, number];
  abstract readonly shaderKey: string;
  readonly dispatchLayout = { x: [0], y: [1], z: [2] };
  readonly outputShape: number[];
  readonly intUniforms: IntUniforms;
  readonly uniforms: string;
  /** Slices of the reduction: above 1, SplitSumProgram adds them. */
  readonly splits: number;

  /** `shape`: the summed result's; `dispatch`: the grid with every slice in it. */
  constructor(
    readonly plan: SplitPlan,
    shape: number[],
    public dispatch: [number, number, number],
    uniforms: Record<string, number>,
    readonly serialMultiplyAdds: number,
  ) {
    this.splits = plan.splits;
    this.outputShape = plan.splits === 1 ? shape : [plan.splits, ...shape];
    this.intUniforms = new IntUniforms({ ...uniforms, slice: plan.slice });
    this.uniforms = this.intUniforms.declaration();
  }

  abstract getUserCode(): string;
}
