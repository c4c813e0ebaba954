"""Reference statistics for Tim's paired comparisons, from scipy 1.10, statsmodels 0.13 and
scikit-learn 1.2.

Usage: /usr/bin/python3 scripts/eval_paired_stats.py IN.json OUT.json

IN.json (test/support/goldens/cases/paired-stats.ts) holds discordant counts, p-value lists,
small samples and paired predictions with fixed bootstrap indices. OUT.json gets:
- mcnemar: statsmodels' exact McNemar p-value of each [b, c] (both-right and both-wrong cells
  do not enter the exact test; they are set to 0);
- holm: statsmodels' multipletests(method='holm') adjusted p-values of each list;
- t_interval: mean, sample sd and scipy's Student-t interval of each sample;
- bootstrap: B − A in accuracy and macro-F1 (sklearn, labels=range(K)) on all images and the
  numpy-percentile interval of the differences over the given resample indices.
"""
import json
import sys
import warnings

import numpy as np
from scipy import stats
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, f1_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

warnings.filterwarnings("ignore", category=UndefinedMetricWarning)


def differences(y, a, b, k):
    labels = list(range(k))
    acc = accuracy_score(y, b) - accuracy_score(y, a)
    f1 = f1_score(y, b, labels=labels, average="macro") - f1_score(y, a, labels=labels, average="macro")
    return float(acc), float(f1)


def main(src, dst):
    with open(src) as f:
        cases = json.load(f)
    out = {"mcnemar": [], "holm": [], "t_interval": [], "bootstrap": []}
    for b, c in cases["mcnemar"]:
        out["mcnemar"].append(float(mcnemar([[0, b], [c, 0]], exact=True).pvalue))
    for ps in cases["holm"]:
        out["holm"].append([float(v) for v in multipletests(ps, method="holm")[1]])
    for case in cases["t_interval"]:
        v = np.asarray(case["values"], dtype=float)
        mean, sd = float(v.mean()), float(v.std(ddof=1))
        lo, hi = stats.t.interval(case["confidence"], len(v) - 1, loc=mean, scale=sd / np.sqrt(len(v)))
        out["t_interval"].append({"mean": mean, "sd": sd, "lo": float(lo), "hi": float(hi)})
    for case in cases["bootstrap"]:
        k = case["num_classes"]
        y, a, b = (np.asarray(case[key]) for key in ("y_true", "pred_a", "pred_b"))
        acc, f1 = differences(y, a, b, k)
        draws = [differences(y[idx], a[idx], b[idx], k) for idx in (np.asarray(i) for i in case["indices"])]
        alpha = (1 - case["confidence"]) / 2 * 100
        res = {}
        for name, point, values in (("accuracy", acc, [d[0] for d in draws]), ("f1_macro", f1, [d[1] for d in draws])):
            res[name] = {"diff": point, "lo": float(np.percentile(values, alpha)), "hi": float(np.percentile(values, 100 - alpha))}
        out["bootstrap"].append(res)
    with open(dst, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
