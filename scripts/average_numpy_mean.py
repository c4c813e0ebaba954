"""Reference checkpoint average for Tim's `tim average` tests.

Usage: /usr/bin/python3 scripts/average_numpy_mean.py IN.f32 RUNS LENGTH OUT.f32

IN.f32 holds RUNS × LENGTH little-endian float32 weights (one row per checkpoint). OUT.f32 gets
their element-wise mean computed in float64 with numpy and rounded to float32.
"""
import sys

import numpy as np


def main():
    runs, length = int(sys.argv[2]), int(sys.argv[3])
    weights = np.fromfile(sys.argv[1], dtype="<f4").reshape(runs, length)
    mean = weights.astype(np.float64).mean(axis=0).astype("<f4")
    mean.tofile(sys.argv[4])


if __name__ == "__main__":
    main()
