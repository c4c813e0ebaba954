import type * as tf from '@tensorflow/tfjs';
import { convUniforms } from './run-program';
import { planSplit } from './split-plan';
import { SplitReductionProgram } from './split-program';
import { GEMM_SLICE_MAX, GEMM_TARGET_WORKGROUPS, GEMM_WORKGROUP, gemmDispatch, tiledGemmMain } from './tiled-gemm';

/**
 * Conv2DBackpropFilter as an implicit GEMM with split-K:
 *   dW[(kr, kc, ci), co] = Σ_r A[(kr, kc, ci), r] · dy[r, co],   r = (n, oh, ow),
 *   A[(kr, kc, ci), r] = x[n, oh·s + kr − top, ow·s + kc − left, ci]  (0 in the padding).
 * The reduction over n·oh·ow (401,408 at ResNet's stem, batch 32, 224 px) is cut into slices;
 * each workgroup sums one slice of one 64×64 tile into a partial result [splits, kh, kw, ci, co],
 * and SplitSumProgram adds the slices. A 1×1, stride-1, unpadded filter reads x as the matrix
 * itself (the patch matrix is x transposed).
 */

export class ConvFilterGradientProgram extends SplitReductionProgram {
  readonly variableNames = ['x', 'dy'];
  readonly workgroupSize = GEMM_WORKGROUP;
  readonly shaderKey: string;
  private readonly pointwise: boolean;

  constructor(info: tf.backend_util.Conv2DInfo) {
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const { top, left } = info.padInfo;
    const rows = filterHeight * filterWidth * inChannels;
    const length = batchSize * outHeight * outWidth;
    const [tx, ty] = gemmDispatch(rows, outChannels, 1);
    const plan = planSplit(length, { groupsPerSlice: tx * ty, targetGroups: GEMM_TARGET_WORKGROUPS, sliceMax: GEMM_SLICE_MAX, outputs: rows * outChannels });
    const uniforms = { ...convUniforms(info), yc: outChannels, gemmRows: rows, reduction: length };
    super(plan, [filterHeight, filterWidth, inChannels, outChannels], gemmDispatch(rows, outChannels, plan.splits), uniforms, plan.slice);
    this.pointwise = filterHeight === 1 && filterWidth === 1 && strideHeight === 1 && strideWidth === 1 && top === 0 && left === 0 && outHeight === inHeight && outWidth === inWidth;
    this.shaderKey = `timConvFilterGrad_${this.pointwise ? 'pointwise' : 'patches'}`;
  }

  getUserCode(): string {
    const patch = this.pointwise
      ? 'return x[k * uniforms.xc + row];'
      : `
      let ci = row % uniforms.xc;
      let tap = row / uniforms.xc;
      let kc = tap % uniforms.kw;
      let kr = tap / uniforms.kw;
      let ow = k % uniforms.yw;
      let t = k / uniforms.yw;
      let oh = t % uniforms.yh;
      let n = t / uniforms.yh;
      let ih = oh * uniforms.sh + kr - uniforms.pt;
      let iw = ow * uniforms.sw + kc - uniforms.pl;
      if (ih < 0 || ih >= uniforms.xh || iw < 0 || iw >= uniforms.xw) {
        return 0.0;
      }
      return x[((n * uniforms.xh + ih) * uniforms.xw + iw) * uniforms.xc + ci];`;
    return `
    var<private> splitIndex : i32;

    fn prepare() {
      splitIndex = i32(workgroupId.z);
    }

    fn span() -> vec2<i32> {
      let begin = splitIndex * uniforms.slice;
      return vec2<i32>(begin, min(begin + uniforms.slice, uniforms.reduction));
    }

    fn loadA(row : i32, k : i32, kEnd : i32) -> f32 {
      if (row >= uniforms.gemmRows || k >= kEnd) {
        return 0.0;
      }
      ${patch}
    }

    fn loadB(k : i32, col : i32, kEnd : i32) -> f32 {
      if (k >= kEnd || col >= uniforms.yc) {
        return 0.0;
      }
      return dy[k * uniforms.yc + col];
    }

    fn store(row : i32, col : i32, value : f32) {
      if (row < uniforms.gemmRows && col < uniforms.yc) {
        result[(splitIndex * uniforms.gemmRows + row) * uniforms.yc + col] = value;
      }
    }
    ${tiledGemmMain({ aAlongK: false, bAlongK: false })}
    `;
  }
}
