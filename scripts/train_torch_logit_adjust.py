"""Reference logit adjustment (Menon et al. 2021) for Tim's training and evaluation tests.

Usage: /usr/bin/python3 scripts/train_torch_logit_adjust.py IN.json OUT.json

IN.json holds {"cases": [{"num_classes": K, "logits": [[...], ...], "labels": [...],
"train_labels": [...], "tau": t, "label_smoothing": s}]}. The priors are the class
frequencies of train_labels. OUT.json gets, per case, in float64:
- "priors";
- "loss": F.cross_entropy(logits + tau * log(priors), labels, label_smoothing=s) (PyTorch 1.13);
- "weighted_loss": the same without smoothing, weighted by compute_class_weight('balanced')
  (scikit-learn 1.2): PyTorch's weighted mean;
- "posthoc_probs": softmax(logits - tau * log(priors)) and "posthoc_pred" its argmax.
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
    tau = case["tau"]
    priors = np.bincount(train_labels, minlength=k) / len(train_labels)
    log_priors = torch.tensor(np.log(priors), dtype=torch.float64)
    adjusted = logits + tau * log_priors
    weights = torch.tensor(compute_class_weight("balanced", classes=np.arange(k), y=train_labels), dtype=torch.float64)
    posthoc = logits - tau * log_priors
    return {
        "priors": [float(p) for p in priors],
        "loss": float(F.cross_entropy(adjusted, labels, label_smoothing=case["label_smoothing"])),
        "weighted_loss": float(F.cross_entropy(adjusted, labels, weight=weights)),
        "posthoc_probs": F.softmax(posthoc, dim=1).tolist(),
        "posthoc_pred": [int(i) for i in posthoc.argmax(dim=1)],
    }


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    with open(sys.argv[2], "w") as f:
        json.dump({"cases": [one_case(c) for c in cases]}, f)


if __name__ == "__main__":
    main()
