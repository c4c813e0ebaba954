#!/usr/bin/python3
"""torchvision 0.14's TrivialAugment/RandAugment operations and RandomResizedCrop as the reference
for Tim's 8-bit augmentation (run by /usr/bin/python3).

  data_torchvision_policy.py CASES.json IN_DIR OUT_DIR

CASES.json: {"sizes": [S, ...], "ops": [[name, magnitude], ...], "crops": {"S": [[top, left, h, w], ...]},
"fallbacks": [{"size": [h, w], "scale": [lo, hi], "ratio": [lo, hi]}, ...]}. IN_DIR/image-S.u8 is an
S x S x 3 uint8 image. Writes OUT_DIR/ops-S.u8 (each op applied to the image with torchvision's own
_apply_op, nearest, fill None, as both policies call it), OUT_DIR/crops-S.u8 (F.resized_crop to
S x S, bilinear, antialias False then True, per box), and OUT_DIR/spaces.json (both policies'
magnitude bins for 31 bins, and get_params at the fallback settings).
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from torchvision.transforms.autoaugment import _apply_op


def chw(img):
    return torch.from_numpy(img).permute(2, 0, 1).contiguous()


def hwc_bytes(t):
    return t.permute(1, 2, 0).contiguous().numpy().astype(np.uint8).tobytes()


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[0]) as f:
        cases = json.load(f)
    src, out = argv[1], argv[2]
    spaces = {}
    for s in cases["sizes"]:
        img = chw(np.fromfile(os.path.join(src, f"image-{s}.u8"), dtype=np.uint8).reshape(s, s, 3))
        with open(os.path.join(out, f"ops-{s}.u8"), "wb") as f:
            for name, magnitude in cases["ops"]:
                f.write(hwc_bytes(_apply_op(img, name, float(magnitude), interpolation=F.InterpolationMode.NEAREST, fill=None)))
        with open(os.path.join(out, f"crops-{s}.u8"), "wb") as f:
            for top, left, h, w in cases["crops"][str(s)]:
                for antialias in (False, True):
                    f.write(hwc_bytes(F.resized_crop(img, top, left, h, w, [s, s], F.InterpolationMode.BILINEAR, antialias=antialias)))
        ta = T.TrivialAugmentWide()._augmentation_space(31)
        ra = T.RandAugment()._augmentation_space(31, (s, s))
        spaces[str(s)] = {
            kind: {name: {"bins": [float(v) for v in mags] if mags.ndim > 0 else [], "signed": bool(signed)} for name, (mags, signed) in space.items()}
            for kind, space in (("trivialaugment", ta), ("randaugment", ra))
        }
    fallbacks = []
    torch.manual_seed(0)
    for fb in cases["fallbacks"]:
        h, w = fb["size"]
        fallbacks.append(list(T.RandomResizedCrop.get_params(torch.zeros(3, h, w), fb["scale"], fb["ratio"])))
    with open(os.path.join(out, "spaces.json"), "w") as f:
        json.dump({"spaces": spaces, "fallbacks": fallbacks}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
