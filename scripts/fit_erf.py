#!/usr/bin/python3
"""Fits erf(x) ~ x * P(x^2) / Q(x^2) on [0, 4] (P degree 6, Q degree 4, Q(0) = 1) by iterated
linearised least squares, and prints the coefficients used by the SIMD erf in kernels.wat with
the worst error of the float32 evaluation. Run with Debian's python3 (numpy)."""
import math

import numpy as np

P_DEG, Q_DEG = 6, 4
x = np.concatenate([np.linspace(0, 4, 20001), np.linspace(0, 0.05, 2001)])
t = x * x
f = np.array([math.erf(v) for v in x])
q_prev = np.ones_like(x)
for _ in range(30):
    # P(t) * x - f * (Q(t) - 1) = f, weighted by 1 / Q_prev so the residual approaches P/Q - f.
    cols = [x * t**k for k in range(P_DEG + 1)] + [-f * t**k for k in range(1, Q_DEG + 1)]
    a = np.stack(cols, axis=1) / q_prev[:, None]
    coef, *_ = np.linalg.lstsq(a, f / q_prev, rcond=None)
    p, q = coef[: P_DEG + 1], np.concatenate([[1.0], coef[P_DEG + 1 :]])
    q_prev = np.polyval(q[::-1], t)

def evaluate32(xs):
    xs = np.clip(xs.astype(np.float32), -4, 4)
    t2 = xs * xs
    num = np.float32(p[-1])
    for c in p[-2::-1]:
        num = (t2 * num + np.float32(c)).astype(np.float32)
    den = np.float32(q[-1])
    for c in q[-2::-1]:
        den = (t2 * den + np.float32(c)).astype(np.float32)
    return (xs * num / den).astype(np.float32)

grid = np.linspace(-6, 6, 400001)
err = np.max(np.abs(evaluate32(grid) - np.array([math.erf(v) for v in grid])))
print('P (t^0..t^6):', ' '.join(f'{float(np.float32(c)):.9e}' for c in p))
print('Q (t^0..t^4):', ' '.join(f'{float(np.float32(c)):.9e}' for c in q))
print(f'max |error| in float32 on [-6, 6]: {err:.2e}')
