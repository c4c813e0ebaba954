"""Reference balanced accuracy from scikit-learn for Tim's evaluation tests.

Usage: /usr/bin/python3 scripts/eval_sklearn_balanced_accuracy.py IN.json OUT.json

IN.json holds the sklearn-metrics cases, {"cases": [{"num_classes": K, "y_true": [...],
"y_pred": [...]}]}. OUT.json gets, per case, scikit-learn 1.2's balanced_accuracy_score: the
mean recall over the classes present in y_true (a class only ever predicted counts for nothing).
"""
import json
import sys
import warnings

from sklearn.metrics import balanced_accuracy_score


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    out = []
    with warnings.catch_warnings():
        # "y_pred contains classes not in y_true": the cases mean it.
        warnings.simplefilter("ignore")
        for c in cases:
            out.append({"balanced_accuracy": float(balanced_accuracy_score(c["y_true"], c["y_pred"]))})
    with open(sys.argv[2], "w") as f:
        json.dump({"cases": out}, f)


if __name__ == "__main__":
    main()
