"""Reference calibration and unknown-artist figures for Tim, from PyTorch 1.13, numpy and
scikit-learn 1.2.

Usage: /usr/bin/python3 scripts/eval_calibration.py IN.json OUT.json

IN.json (test/support/goldens/cases/calibration.ts) holds held-out logits with labels and pairs
of known/unknown score lists. OUT.json gets, per logit case:
- temperature: the T minimising the mean cross-entropy of logits / T, found by torch.optim.LBFGS
  (strong Wolfe line search, float64) from T = 1;
- nll_at_t: that cross-entropy at T;
- raw: ECE (15 equal-width bins, numpy), scikit-learn's log_loss and the multi-class Brier score
  (numpy: mean over images of the squared distance to the one-hot label) of softmax(logits);
- scaled: the same three of softmax(logits / T);
and per score pair scikit-learn's roc_auc_score with known images as the positive class.
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import softmax
from sklearn.metrics import log_loss, roc_auc_score


def ece(y_true, probs, bins=15):
    conf = probs.max(axis=1)
    pred = probs.argmax(axis=1)
    correct = (pred == y_true).astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for b in range(bins):
        lo, hi = edges[b], edges[b + 1]
        inside = (conf > lo) & (conf <= hi) if b > 0 else (conf >= lo) & (conf <= hi)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - conf[inside].mean())
    return float(total)


def brier(y_true, probs):
    onehot = np.eye(probs.shape[1])[y_true]
    return float(((probs - onehot) ** 2).sum(axis=1).mean())


def scores(y_true, probs):
    k = probs.shape[1]
    return {"ece": ece(y_true, probs), "nll": float(log_loss(y_true, probs, labels=list(range(k)))), "brier": brier(y_true, probs)}


def fit_temperature(logits, labels):
    z = torch.tensor(logits, dtype=torch.float64)
    y = torch.tensor(labels, dtype=torch.long)
    t = torch.ones(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([t], lr=1, max_iter=1000, tolerance_grad=1e-13, tolerance_change=1e-16, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(z / t, y)
        loss.backward()
        return loss

    for _ in range(20):
        opt.step(closure)
    with torch.no_grad():
        nll = float(F.cross_entropy(z / t, y))
    return float(t.item()), nll


def main(src, dst):
    with open(src) as f:
        cases = json.load(f)
    out = {"torch": torch.__version__, "logits": [], "auroc": []}
    for case in cases["logits"]:
        logits = np.asarray(case["logits"], dtype=np.float64)
        labels = np.asarray(case["labels"], dtype=int)
        t, nll = fit_temperature(logits, labels)
        out["logits"].append({
            "temperature": t,
            "nll_at_t": nll,
            "raw": scores(labels, softmax(logits, axis=1)),
            "scaled": scores(labels, softmax(logits / t, axis=1)),
        })
    for case in cases["auroc"]:
        y = [1] * len(case["known"]) + [0] * len(case["unknown"])
        out["auroc"].append(float(roc_auc_score(y, case["known"] + case["unknown"])))
    with open(dst, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
