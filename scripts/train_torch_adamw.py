#!/usr/bin/python3
"""torch.optim.AdamW with timm's weight-decay exclusions as the reference for Tim's AdamW.

Usage: /usr/bin/python3 scripts/train_torch_adamw.py IN.json OUT.json

IN.json holds {"cases": [{"betas", "eps", "weight_decay": {group: rate}, "weight_decay_1d",
"params": [{"name", "group", "shape", "values" (flat)}], "steps": [{"lr", "grads": [flat, one
per param]}]}]}. Each param group gets its group's rate; as timm's param_groups_weight_decay,
params of one dimension or less and those named `*.bias` get none unless weight_decay_1d.
OUT.json gets, per case, every param's values (flat) after the steps.
"""
import json
import sys

import torch


def no_decay(name, p):
    return p.ndim <= 1 or name.endswith(".bias")


def one_case(case):
    params = [torch.nn.Parameter(torch.tensor(p["values"], dtype=torch.float32).reshape(p["shape"])) for p in case["params"]]
    groups = {}
    for spec, p in zip(case["params"], params):
        decay = case["weight_decay"][spec["group"]]
        if not case["weight_decay_1d"] and no_decay(spec["name"], p):
            decay = 0.0
        groups.setdefault(decay, []).append(p)
    opt = torch.optim.AdamW(
        [{"params": ps, "weight_decay": wd} for wd, ps in groups.items()],
        lr=case["steps"][0]["lr"], betas=tuple(case["betas"]), eps=case["eps"],
    )
    for step in case["steps"]:
        for group in opt.param_groups:
            group["lr"] = step["lr"]
        for p, g in zip(params, step["grads"]):
            p.grad = torch.tensor(g, dtype=torch.float32).reshape(p.shape)
        opt.step()
    return {"values": [p.detach().reshape(-1).tolist() for p in params]}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    with open(sys.argv[2], "w") as f:
        json.dump({"torch": torch.__version__, "cases": [one_case(c) for c in cases]}, f)


if __name__ == "__main__":
    main()
