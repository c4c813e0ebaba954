import type * as tf from '@tensorflow/tfjs';
import { convUniforms } from './run-program';
import { planSplit } from './split-plan';
import { SplitReductionProgram } from './split-program';
import { GEMM_SLICE_MAX, GEMM_TARGET_WORKGROUPS, GEMM_WORKGROUP, gemmDispatch, tiledGemmMain } from './tiled-gemm';

/**
 * Conv2DBackpropInput as an implicit GEMM, without the zeros a strided transposed convolution
 * would insert. dx[n, ih, iw, ci] = Σ dy[n, oh, ow, co] · W[kr, kc, ci, co] over the taps with
 * ih = oh·s + kr − top (and likewise for columns). Which taps reach a pixel depends only on
 * ih mod s and iw mod s, so the pixels are grouped by that phase (the z axis of the grid): within
 * a phase every pixel has the same taps kr ≡ ih + top (mod s), and the reduction runs over those
 * taps × co only. Stride 1 is the one-phase case. A reduction longer than GEMM_SLICE_MAX is cut
 * into slices added by SplitSumProgram, and so is one whose grid would leave a large GPU idle
 * (the last stages, where dx has few pixels).
 */
export class ConvInputGradientProgram extends SplitReductionProgram {
  readonly variableNames = ['dy', 'wt'];
  readonly workgroupSize = GEMM_WORKGROUP;
  readonly shaderKey = 'timConvInputGrad';

  constructor(info: tf.backend_util.Conv2DInfo) {
    const { batchSize, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const phaseHeight = Math.ceil(inHeight / strideHeight);
    const phaseWidth = Math.ceil(inWidth / strideWidth);
    const rows = batchSize * phaseHeight * phaseWidth;
    const phases = strideHeight * strideWidth;
    // The phase whose taps start at 0 has the most of them.
    const longest = Math.ceil(filterHeight / strideHeight) * Math.ceil(filterWidth / strideWidth) * outChannels;
    const [tx, ty, tz] = gemmDispatch(rows, inChannels, phases);
    const plan = planSplit(longest, { groupsPerSlice: tx * ty * tz, targetGroups: GEMM_TARGET_WORKGROUPS, sliceMax: GEMM_SLICE_MAX, outputs: batchSize * inHeight * inWidth * inChannels });
    const uniforms = {
      ...convUniforms(info),
      batch: batchSize,
      yc: outChannels,
      kh: filterHeight,
      qh: phaseHeight,
      qw: phaseWidth,
      gemmRows: rows,
      splits: plan.splits,
    };
    super(plan, [batchSize, inHeight, inWidth, inChannels], gemmDispatch(rows, inChannels, phases * plan.splits), uniforms, Math.min(longest, plan.slice));
  }

  getUserCode(): string {
    return `
    var<private> splitIndex : i32;
    // This workgroup's phase: its pixels' row and column remainders, their first tap and tap counts.
    var<private> ph : i32;
    var<private> pw : i32;
    var<private> kr0 : i32;
    var<private> kc0 : i32;
    var<private> tapCols : i32;
    var<private> phaseLength : i32;

    fn tapsFrom(first : i32, size : i32, stride : i32) -> i32 {
      if (first >= size) {
        return 0;
      }
      return (size - first + stride - 1) / stride;
    }

    fn prepare() {
      let layer = i32(workgroupId.z);
      splitIndex = layer % uniforms.splits;
      let phase = layer / uniforms.splits;
      ph = phase / uniforms.sw;
      pw = phase % uniforms.sw;
      kr0 = (ph + uniforms.pt) % uniforms.sh;
      kc0 = (pw + uniforms.pl) % uniforms.sw;
      tapCols = tapsFrom(kc0, uniforms.kw, uniforms.sw);
      phaseLength = tapsFrom(kr0, uniforms.kh, uniforms.sh) * tapCols * uniforms.yc;
    }

    fn span() -> vec2<i32> {
      let begin = min(splitIndex * uniforms.slice, phaseLength);
      return vec2<i32>(begin, min(begin + uniforms.slice, phaseLength));
    }

    fn loadA(row : i32, k : i32, kEnd : i32) -> f32 {
      if (row >= uniforms.gemmRows || k >= kEnd) {
        return 0.0;
      }
      let j = row % uniforms.qw;
      let t = row / uniforms.qw;
      let i = t % uniforms.qh;
      let n = t / uniforms.qh;
      let co = k % uniforms.yc;
      let tap = k / uniforms.yc;
      let kr = kr0 + (tap / tapCols) * uniforms.sh;
      let kc = kc0 + (tap % tapCols) * uniforms.sw;
      let rowNum = ph + i * uniforms.sh + uniforms.pt - kr;
      let colNum = pw + j * uniforms.sw + uniforms.pl - kc;
      if (rowNum < 0 || colNum < 0) {
        return 0.0;
      }
      let oh = rowNum / uniforms.sh;
      let ow = colNum / uniforms.sw;
      if (oh >= uniforms.yh || ow >= uniforms.yw) {
        return 0.0;
      }
      return dy[((n * uniforms.yh + oh) * uniforms.yw + ow) * uniforms.yc + co];
    }

    fn loadB(k : i32, col : i32, kEnd : i32) -> f32 {
      if (k >= kEnd || col >= uniforms.xc) {
        return 0.0;
      }
      let co = k % uniforms.yc;
      let tap = k / uniforms.yc;
      let kr = kr0 + (tap / tapCols) * uniforms.sh;
      let kc = kc0 + (tap % tapCols) * uniforms.sw;
      return wt[((kr * uniforms.kw + kc) * uniforms.xc + col) * uniforms.yc + co];
    }

    fn store(row : i32, col : i32, value : f32) {
      if (row >= uniforms.gemmRows || col >= uniforms.xc) {
        return;
      }
      let j = row % uniforms.qw;
      let t = row / uniforms.qw;
      let i = t % uniforms.qh;
      let n = t / uniforms.qh;
      let ih = ph + i * uniforms.sh;
      let iw = pw + j * uniforms.sw;
      if (ih < uniforms.xh && iw < uniforms.xw) {
        let pixel = (splitIndex * uniforms.batch + n) * uniforms.xh * uniforms.xw + ih * uniforms.xw + iw;
        result[pixel * uniforms.xc + col] = value;
      }
    }
    ${tiledGemmMain({ aAlongK: true, bAlongK: true })}
    `;
  }
}
