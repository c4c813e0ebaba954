"""Reference losses and class weights for Tim's training tests.

Usage: /usr/bin/python3 scripts/train_torch_loss.py IN.json OUT.json

IN.json holds {"cases": [{"num_classes": K, "logits": [[...], ...], "labels": [...],
"label_smoothing": s, "train_labels": [...]}]}. OUT.json gets, per case, what PyTorch 1.13
and scikit-learn 1.2 compute: the mean cross-entropy with label smoothing, the class weights of
compute_class_weight('balanced') over train_labels, and the cross-entropy weighted by them
(PyTorch's weighted mean, without smoothing).
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils.class_weight import compute_class_weight


def one_case(case):
    k = case["num_classes"]
    logits = torch.tensor(case["logits"], dtype=torch.float64)
    labels = torch.tensor(case["labels"], dtype=torch.long)
    train_labels = np.array(case["train_labels"])
    weights = compute_class_weight("balanced", classes=np.arange(k), y=train_labels)
    return {
        "smoothed_loss": float(F.cross_entropy(logits, labels, label_smoothing=case["label_smoothing"])),
        "class_weights": [float(w) for w in weights],
        "weighted_loss": float(F.cross_entropy(logits, labels, weight=torch.tensor(weights, dtype=torch.float64))),
    }


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    with open(sys.argv[2], "w") as f:
        json.dump({"cases": [one_case(c) for c in cases]}, f)


if __name__ == "__main__":
    main()
