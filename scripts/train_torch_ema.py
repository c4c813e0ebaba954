#!/usr/bin/python3
"""torch.optim.swa_utils.AveragedModel with timm's EMA as the reference for Tim's train.ema.

Usage: /usr/bin/python3 scripts/train_torch_ema.py IN.json OUT.json

IN.json holds {"cases": [{"decay", "warmup", "initial": [flat tensors], "states": [[flat
tensors] per step]}]}, the tensors of a Linear(3, 4) + BatchNorm1d(4) in state_dict order
(weights, then running mean and variance). The average starts as a copy of the initial
tensors and is updated after every step with use_buffers=True (BatchNorm statistics averaged
too) and the averaging function decay_n * avg + (1 - decay_n) * current, decay_n being
min(decay, (1 + n) / (10 + n)) with the warm-up, else decay, for the n-th update (0-based).
OUT.json gets, per case, the averaged tensors (flat) after all steps.
"""
import json
import sys

import torch
from torch.optim.swa_utils import AveragedModel

NAMES = ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"]


def load(model, tensors):
    state = model.state_dict()
    with torch.no_grad():
        for name, values in zip(NAMES, tensors):
            state[name].view(-1).copy_(torch.tensor(values, dtype=torch.float32))


def one_case(case):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    decay, warmup = case["decay"], case["warmup"]

    def average(avg, current, num_averaged):
        n = int(num_averaged) - 1  # the first call after the copy is update 0
        d = min(decay, (1 + n) / (10 + n)) if warmup else decay
        return d * avg + (1 - d) * current

    load(model, case["initial"])
    ema = AveragedModel(model, avg_fn=average, use_buffers=True)
    ema.update_parameters(model)  # the copy of the initial weights
    for state in case["states"]:
        load(model, state)
        ema.update_parameters(model)
    averaged = ema.module.state_dict()
    return {"tensors": [averaged[name].reshape(-1).tolist() for name in NAMES]}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    with open(sys.argv[2], "w") as f:
        json.dump({"torch": torch.__version__, "cases": [one_case(c) for c in cases]}, f)


if __name__ == "__main__":
    main()
