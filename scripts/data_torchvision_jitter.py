#!/usr/bin/python3
"""torchvision's colour adjustments as the reference for Tim's ColorJitter (run by /usr/bin/python3).

  data_torchvision_jitter.py IN.f32 HEIGHT WIDTH OUT.f32 OP=FACTOR [OP=FACTOR ...]

IN and OUT are float32 HWC images in [0, 1]; each OP (brightness, contrast, saturation) is
applied in the order given, with torchvision.transforms.functional on a CHW tensor.
"""
import sys

import numpy as np
import torch
import torchvision.transforms.functional as F

OPS = {"brightness": F.adjust_brightness, "contrast": F.adjust_contrast, "saturation": F.adjust_saturation}


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    src, h, w, out = argv[0], int(argv[1]), int(argv[2]), argv[3]
    img = torch.from_numpy(np.fromfile(src, dtype=np.float32).reshape(h, w, 3)).permute(2, 0, 1)
    for spec in argv[4:]:
        op, factor = spec.split("=")
        img = OPS[op](img, float(factor))
    img.permute(1, 2, 0).contiguous().numpy().astype(np.float32).tofile(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
