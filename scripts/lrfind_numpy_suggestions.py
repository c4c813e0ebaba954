"""Reference learning-rate finder arithmetic (fastai 2.7's lr_find) for Tim's lr-find tests.

Usage: /usr/bin/python3 scripts/lrfind_numpy_suggestions.py IN.json OUT.json

IN.json holds {"cases": [{"start_lr": a, "end_lr": b, "steps": n, "losses": [...]}]}, the raw
loss of each step (null for NaN). For each case, written from fastai's definitions with numpy:
- the rate of step i: a * (b / a) ** (i / n);
- the smoothed loss: avg = beta * avg + (1 - beta) * loss, reported as avg / (1 - beta ** count),
  beta = 0.98;
- the stop: after the first step whose smoothed loss is NaN or above 4 times the best so far
  (that step is recorded), else after n steps;
- the curve the suggestions read: recorded points [n // 10 : -5];
- "steepest": the rate at the argmin of diff(loss) / diff(log(lr));
- "valley": the longest strictly decreasing subsequence of the losses (the first of the
  longest), start = its end index - its length, s = (end - start) / 3, at start + int(s) + int(s / 2).
"""
import json
import math
import sys

import numpy as np

BETA = 0.98


def sweep(case):
    a, b, n = case["start_lr"], case["end_lr"], case["steps"]
    lrs, smoothed = [], []
    avg, best = 0.0, math.inf
    for i in range(n):
        raw = case["losses"][i]
        raw = math.nan if raw is None else raw
        avg = BETA * avg + (1 - BETA) * raw
        s = avg / (1 - BETA ** (i + 1))
        lrs.append(a * (b / a) ** (i / n))
        smoothed.append(s)
        best = min(best, s)
        if math.isnan(s) or s > 4 * best:
            break
    return lrs, smoothed


def valley(lrs, losses):
    n = len(losses)
    lds = [1] * n
    end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
        if lds[end] < lds[i]:
            end = i
    start = end - lds[end]
    s = (end - start) / 3
    idx = max(0, start + int(s) + int(s / 2))
    return float(lrs[idx]), float(losses[idx])


def steepest(lrs, losses):
    lrs, losses = np.array(lrs), np.array(losses)
    slopes = (losses[1:] - losses[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    i = int(np.argmin(slopes))
    return float(lrs[i]), float(losses[i])


def one_case(case):
    lrs, smoothed = sweep(case)
    n = case["steps"]
    t_lrs, t_losses = lrs[n // 10 : -5], smoothed[n // 10 : -5]
    out = {
        "lrs": lrs,
        "smoothed": [None if math.isnan(v) else v for v in smoothed],
        "recorded": len(lrs),
    }
    if len(t_lrs) >= 2 and not any(math.isnan(v) for v in t_losses):
        out["steepest"] = list(steepest(t_lrs, t_losses))
        out["valley"] = list(valley(t_lrs, t_losses))
    return out


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    with open(sys.argv[2], "w") as f:
        json.dump({"cases": [one_case(c) for c in cases]}, f)


if __name__ == "__main__":
    main()
