import type { AugmentConfig } from '../config/schema';
import { applyPolicyOp } from './policy-ops';
import { drawPolicy, parsePolicy, type PolicyStep } from './policy';
import { type CropBox, drawCropBox, resizedCrop } from './resized-crop';

/** The subset of the config's `augment` section that works on the 8-bit pixels. */
export type ByteAugmentSettings = Pick<AugmentConfig, 'random_resized_crop' | 'policy'>;

/** What happens to each image of one batch before the flips, turns and colour jitter. */
export interface ByteAugmentParams {
  crop: (CropBox | undefined)[];
  policy: PolicyStep[][];
}

/** Whether the settings change any pixel (else the batch's bytes are used as they are). */
export function augmentsBytes(s: ByteAugmentSettings): boolean {
  return s.random_resized_crop !== undefined || parsePolicy(s.policy).kind !== 'none';
}

/** Draws the crop and policy of `count` `size`×`size` images from `rng`. */
export function drawByteAugmentParams(rng: () => number, count: number, size: number, s: ByteAugmentSettings): ByteAugmentParams {
  const policy = parsePolicy(s.policy);
  const p: ByteAugmentParams = { crop: [], policy: [] };
  for (let i = 0; i < count; i++) {
    p.crop.push(s.random_resized_crop ? drawCropBox(rng, size, size, s.random_resized_crop) : undefined);
    p.policy.push(drawPolicy(rng, policy, size));
  }
  return p;
}

/**
 * RandomResizedCrop then the policy's operations, on a batch of 8-bit `size`×`size` images (the
 * letterboxed or stretched squares), in place. torchvision's order in timm's and its own
 * recipes: crop, (flip), policy; Tim flips afterwards with the rotation, which only mirrors
 * the already symmetric distribution of the shears and translations.
 */
export function augmentBytes(bytes: Uint8Array, count: number, size: number, p: ByteAugmentParams): void {
  const per = size * size * 3;
  let scratch: Uint8Array = new Uint8Array(per);
  for (let i = 0; i < count; i++) {
    let img: Uint8Array = bytes.subarray(i * per, (i + 1) * per);
    const home = img;
    const crop = p.crop[i];
    if (crop) {
      resizedCrop(img, scratch, size, crop);
      [img, scratch] = [scratch, img];
    }
    for (const step of p.policy[i] ?? []) {
      applyPolicyOp(step.op, step.magnitude, img, scratch, size);
      [img, scratch] = [scratch, img];
    }
    if (img !== home) {
      home.set(img);
      scratch = img;
    }
  }
}
