#!/usr/bin/python3
"""References for Tim's mixup and CutMix (run by /usr/bin/python3).

  train_timm_mixup.py CASES.json BATCH.f32 OUT_DIR

timm is not among Debian's packages, so its Mixup (batch mode) is followed here as its source
states it, in torch and numpy: mixup_target (one_hot with on/off values, the batch flipped),
rand_bbox and cutmix_bbox_and_lam(correct_lam=True) at a given lam and box centre, and the
mixed batch (x.flip(0)). The soft-target cross-entropy comes from PyTorch 1.13's
F.cross_entropy with probability targets (and weight=); the Beta(a, a) quantiles and the
Kolmogorov-Smirnov critical values from scipy 1.10. Writes OUT_DIR/mixup.json and
OUT_DIR/mixed.f32 (the NHWC batch mixed by each case, in order).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats


def soft_loss(case):
    logits = torch.tensor(case["logits"], dtype=torch.float64)
    q = torch.tensor(case["targets"], dtype=torch.float64)
    w = torch.tensor(case["weights"], dtype=torch.float64)
    out = {
        "per_sample": F.cross_entropy(logits, q, reduction="none").tolist(),
        "per_sample_weighted": F.cross_entropy(logits, q, weight=w, reduction="none").tolist(),
        "mean": float(F.cross_entropy(logits, q)),
    }
    if "labels" in case:
        out["hard_weighted_mean"] = float(F.cross_entropy(logits, torch.tensor(case["labels"]), weight=w))
    return out


def mixup_target(case):
    target = torch.tensor(case["labels"])
    c, lam, smoothing = case["num_classes"], case["lam"], case["smoothing"]
    off = smoothing / c
    on = 1.0 - smoothing + off

    def one_hot(t):
        return torch.full((t.size(0), c), off, dtype=torch.float64).scatter_(1, t.long().view(-1, 1), on)

    return (one_hot(target) * lam + one_hot(target.flip(0)) * (1.0 - lam)).tolist()


def cutmix(case):
    h, w, lam, cy, cx = case["height"], case["width"], case["lam"], case["cy"], case["cx"]
    ratio = np.sqrt(1 - lam)
    cut_h, cut_w = int(h * ratio), int(w * ratio)
    yl = int(np.clip(cy - cut_h // 2, 0, h))
    yh = int(np.clip(cy + cut_h // 2, 0, h))
    xl = int(np.clip(cx - cut_w // 2, 0, w))
    xh = int(np.clip(cx + cut_w // 2, 0, w))
    return {"box": [yl, yh, xl, xh], "lam": 1.0 - (yh - yl) * (xh - xl) / float(h * w)}


def mix(x, case):
    x = x.clone()
    if "box" in case:
        b = case["box"]
        x[:, :, b["top"]:b["bottom"], b["left"]:b["right"]] = x.flip(0)[:, :, b["top"]:b["bottom"], b["left"]:b["right"]]
    else:
        lam = case["lam"]
        flipped = x.flip(0).mul_(1.0 - lam)
        x.mul_(lam).add_(flipped)
    return x


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[0]) as f:
        cases = json.load(f)
    b = cases["batch"]
    x = torch.from_numpy(np.fromfile(argv[1], dtype=np.float32).reshape(b["n"], b["height"], b["width"], 3)).permute(0, 3, 1, 2)
    with open(os.path.join(argv[2], "mixed.f32"), "wb") as f:
        for case in cases["mix"]:
            f.write(mix(x, case).permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32).tobytes())
    probs = np.linspace(0, 1, 1001)
    n, alpha = cases["ks_samples"], cases["ks_significance"]
    out = {
        "soft_loss": [soft_loss(c) for c in cases["soft_loss"]],
        "mixup_targets": [mixup_target(c) for c in cases["mixup_targets"]],
        "cutmix": [cutmix(c) for c in cases["cutmix"]],
        "beta_quantiles": {str(a): stats.beta.ppf(probs, a, a).tolist() for a in cases["beta_alphas"]},
        "ks_critical": float(stats.kstwo.ppf(1 - alpha, n)),
    }
    with open(os.path.join(argv[2], "mixup.json"), "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
