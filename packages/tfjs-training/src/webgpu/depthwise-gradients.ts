import type * as tf from '@tensorflow/tfjs';
import { planSplit } from './split-plan';
import { SplitReductionProgram } from './split-program';
import { convUniforms, IntUniforms, type UniformProgram } from './run-program';

/**
 * Gradients of a depthwise convolution with one filter per channel (EfficientNet's 3×3 and 5×5,
 * ConvNeXt's 7×7). Neighbouring invocations take neighbouring channels, so every read of x, dy
 * and the filter is contiguous across a workgroup.
 */

/** Workgroups of 64 invocations that fill a large GPU (≈ 270,000 invocations in flight on an H100). */
const TARGET_WORKGROUPS = 4096;
const DEPTHWISE_WORKGROUP: [number, number, number] = [64, 1, 1];

/**
 * dW[kr, kc, c] = Σ_{n, oh, ow} x[n, oh·s + kr − top, ow·s + kc − left, c] · dy[n, oh, ow, c]:
 * one invocation per (slice of n·oh·ow, tap, channel); SplitSumProgram adds the slices.
 */
export class DepthwiseFilterGradientProgram extends SplitReductionProgram {
  readonly variableNames = ['x', 'dy'];
  readonly workgroupSize = DEPTHWISE_WORKGROUP;
  readonly shaderKey = 'timDepthwiseFilterGrad';

  constructor(info: tf.backend_util.Conv2DInfo) {
    const { batchSize, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
    const taps = filterHeight * filterWidth;
    const length = batchSize * outHeight * outWidth;
    const channelGroups = Math.ceil(inChannels / DEPTHWISE_WORKGROUP[0]);
    const plan = planSplit(length, { groupsPerSlice: channelGroups * taps, targetGroups: TARGET_WORKGROUPS, outputs: taps * inChannels });
    const uniforms = { ...convUniforms(info), taps, reduction: length };
    super(plan, [filterHeight, filterWidth, inChannels, 1], [channelGroups, taps, plan.splits], uniforms, plan.slice);
  }

  getUserCode(): string {
    return `
    fn main() {
      let c = i32(globalId.x);
      let tap = i32(globalId.y);
      let split = i32(globalId.z);
      if (c >= uniforms.xc) {
        return;
      }
      let kr = tap / uniforms.kw;
      let kc = tap % uniforms.kw;
      let begin = split * uniforms.slice;
      let end = min(begin + uniforms.slice, uniforms.reduction);
      // The output position walks forward one step per product: no division in the loop.
      var ow = begin % uniforms.yw;
      var oh = (begin / uniforms.yw) % uniforms.yh;
      var n = begin / (uniforms.yw * uniforms.yh);
      var total = 0.0;
      for (var r = begin; r < end; r++) {
        let ih = oh * uniforms.sh + kr - uniforms.pt;
        let iw = ow * uniforms.sw + kc - uniforms.pl;
        if (ih >= 0 && ih < uniforms.xh && iw >= 0 && iw < uniforms.xw) {
          total = fma(x[((n * uniforms.xh + ih) * uniforms.xw + iw) * uniforms.xc + c], dy[r * uniforms.xc + c], total);
        }
        ow++;
        if (ow == uniforms.yw) {
          ow = 0;
          oh++;
          if (oh == uniforms.yh) {
            oh = 0;
            n++;
          }
        }
      }
      result[(split * uniforms.taps + tap) * uniforms.xc + c] = total;
    }
    `;
  }
}

/**
 * dx[n, ih, iw, c] = Σ dy[n, oh, ow, c] · W[kr, kc, c] over the taps with ih = oh·s + kr − top:
 * one invocation per element of dx, visiting only the taps of its phase (kr ≡ ih + top mod s).
 */
export class DepthwiseInputGradientProgram implements UniformProgram {
  readonly variableNames = ['dy', 'wt'];
  readonly outputShape: number[];
  readonly workgroupSize = DEPTHWISE_WORKGROUP;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly size = true;
  readonly shaderKey = 'timDepthwiseInputGrad';
  readonly splits = 1;
  readonly intUniforms: IntUniforms;
  readonly uniforms: string;
  readonly serialMultiplyAdds: number;

  constructor(info: tf.backend_util.Conv2DInfo) {
    const { batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
    this.outputShape = [batchSize, inHeight, inWidth, inChannels];
    this.dispatchLayout = { x: [0, 1, 2, 3] };
    this.dispatch = [Math.ceil((batchSize * inHeight * inWidth * inChannels) / this.workgroupSize[0]), 1, 1];
    this.intUniforms = new IntUniforms({ ...convUniforms(info), kh: filterHeight });
    this.uniforms = this.intUniforms.declaration();
    this.serialMultiplyAdds = Math.ceil(filterHeight / strideHeight) * Math.ceil(filterWidth / strideWidth);
  }

  getUserCode(): string {
    return `
    fn main(index : i32) {
      if (index >= uniforms.size) {
        return;
      }
      let c = index % uniforms.xc;
      var t = index / uniforms.xc;
      let iw = t % uniforms.xw;
      t = t / uniforms.xw;
      let ih = t % uniforms.xh;
      let n = t / uniforms.xh;
      var total = 0.0;
      // Taps are visited in increasing order, so the output row (column) index only falls.
      for (var kr = (ih + uniforms.pt) % uniforms.sh; kr < uniforms.kh; kr += uniforms.sh) {
        let rowNum = ih + uniforms.pt - kr;
        if (rowNum < 0) {
          break;
        }
        let oh = rowNum / uniforms.sh;
        if (oh >= uniforms.yh) {
          continue;
        }
        for (var kc = (iw + uniforms.pl) % uniforms.sw; kc < uniforms.kw; kc += uniforms.sw) {
          let colNum = iw + uniforms.pl - kc;
          if (colNum < 0) {
            break;
          }
          let ow = colNum / uniforms.sw;
          if (ow >= uniforms.yw) {
            continue;
          }
          total = fma(dy[((n * uniforms.yh + oh) * uniforms.yw + ow) * uniforms.xc + c], wt[(kr * uniforms.kw + kc) * uniforms.xc + c], total);
        }
      }
      result[index] = total;
    }
    `;
  }
}
