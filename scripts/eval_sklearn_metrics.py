"""Reference metrics from scikit-learn for Tim's evaluation tests.

Usage: /usr/bin/python3 scripts/eval_sklearn_metrics.py IN.json OUT.json

IN.json holds {"cases": [{"num_classes": K, "y_true": [...], "y_pred": [...],
"probs": [[...], ...] (optional)}]}. OUT.json gets, per case, what scikit-learn 1.2 computes
with labels=range(K) and the default zero_division: accuracy, the confusion matrix,
per-class precision/recall/F1/support, their 'weighted' and 'macro' averages, top-3 accuracy
and a 15-bin expected calibration error computed here with numpy.
"""
import json
import sys
import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    top_k_accuracy_score,
)


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


def one_case(case):
    k = case["num_classes"]
    labels = list(range(k))
    y_true = np.asarray(case["y_true"], dtype=int)
    y_pred = np.asarray(case["y_pred"], dtype=int)
    out = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None)
    out["per_class"] = {"precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(), "support": s.tolist()}
    for avg in ("weighted", "macro"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg)
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    if case.get("probs") is not None:
        probs = np.asarray(case["probs"], dtype=float)
        out["top3_accuracy"] = float(top_k_accuracy_score(y_true, probs, k=3, labels=labels))
        out["ece"] = ece(y_true, probs)
    return out


def main():
    with open(sys.argv[1]) as fh:
        data = json.load(fh)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        results = [one_case(c) for c in data["cases"]]
    with open(sys.argv[2], "w") as fh:
        json.dump({"sklearn": __import__("sklearn").__version__, "results": results}, fh)


if __name__ == "__main__":
    main()
