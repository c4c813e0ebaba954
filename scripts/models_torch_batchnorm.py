#!/usr/bin/python3
"""PyTorch's training-mode BatchNorm as the reference for Tim's BatchNormalization layer.

Usage: /usr/bin/python3 scripts/models_torch_batchnorm.py IN.json OUT.json

IN.json holds {"cases": [{"shape": [N, H, W, C] or [N, C], "x": [...] (flat, channels last),
"weight", "bias", "running_mean", "running_var": [C values], "momentum": PyTorch's momentum,
"eps", "steps": forward passes in training mode on the same x}]}. OUT.json gets, per case, the
running_mean, running_var and num_batches_tracked after the passes and the last output y
(flat, channels last), from torch.nn.BatchNorm2d (BatchNorm1d for [N, C]) in float32.
"""
import json
import sys

import torch


def one_case(case):
    shape = case["shape"]
    c = shape[-1]
    x = torch.tensor(case["x"], dtype=torch.float32).reshape(shape)
    if len(shape) == 4:
        bn = torch.nn.BatchNorm2d(c, eps=case["eps"], momentum=case["momentum"])
        x = x.permute(0, 3, 1, 2)
    else:
        bn = torch.nn.BatchNorm1d(c, eps=case["eps"], momentum=case["momentum"])
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(case["weight"]))
        bn.bias.copy_(torch.tensor(case["bias"]))
        bn.running_mean.copy_(torch.tensor(case["running_mean"]))
        bn.running_var.copy_(torch.tensor(case["running_var"]))
        bn.train()
        for _ in range(case["steps"]):
            y = bn(x)
    if len(shape) == 4:
        y = y.permute(0, 2, 3, 1)
    return {
        "running_mean": bn.running_mean.tolist(),
        "running_var": bn.running_var.tolist(),
        "num_batches_tracked": int(bn.num_batches_tracked),
        "y": y.contiguous().reshape(-1).tolist(),
    }


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    with open(sys.argv[2], "w") as f:
        json.dump({"torch": torch.__version__, "cases": [one_case(c) for c in cases]}, f)


if __name__ == "__main__":
    main()
