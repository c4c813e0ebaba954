"""Reference perceptual hashes for Tim's near-duplicate check, from Pillow-decoded images,
numpy and scipy.fftpack.

Usage: /usr/bin/python3 scripts/data_perceptual_hash.py OUT.json IMAGE...

Each image is decoded by Pillow as RGB; its luma (ITU-R 601: 0.299 R + 0.587 G + 0.114 B, in
float64) is averaged over exact pixel areas onto a 32x32 grid (as a product of two overlap
matrices); scipy.fftpack's unnormalised DCT-II runs along both axes; the lowest 8x8
coefficients compared with their median give 64 bits, written as 16 hex digits. OUT.json maps
each image's file name to its hash.
"""
import json
import os
import sys

import numpy as np
from PIL import Image
from scipy.fftpack import dct

GRID = 32


def overlap(n):
    """GRID x n matrix: how much of source pixel p falls in cell c."""
    m = np.zeros((GRID, n))
    for c in range(GRID):
        lo, hi = c * n / GRID, (c + 1) * n / GRID
        for p in range(n):
            m[c, p] = max(0.0, min(hi, p + 1) - max(lo, p))
    return m


def phash(path):
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
    luma = 0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1] + 0.114 * rgb[:, :, 2]
    h, w = luma.shape
    grid = overlap(h) @ luma @ overlap(w).T / ((w / GRID) * (h / GRID))
    low = dct(dct(grid, axis=1), axis=0)[:8, :8]
    bits = (low > np.median(low)).flatten()
    return "".join("%x" % int("".join("1" if b else "0" for b in bits[i:i + 4]), 2) for i in range(0, 64, 4))


def main(dst, images):
    with open(dst, "w") as f:
        json.dump({os.path.basename(p): phash(p) for p in images}, f, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
