#!/usr/bin/python3
"""Write scipy_golden.json: random assignment problems with scipy's optimal
totals (or infeasibility), and the paper-mode results of one pCT-like frame
from the generator shared with gen_test.go. See README.

Usage: /usr/bin/python3 lsap/testdata/gen_golden.py > lsap/testdata/scipy_golden.json
"""

import json
import math

import numpy as np
import scipy
from scipy.optimize import linear_sum_assignment

from scipy_bench import pct_frame, pct_frame_size, paper_solve, uniform_matrix

rng = np.random.default_rng(20250101)
KINDS = ["uniform", "integer", "signed", "forbidden", "int-forbidden", "very-sparse", "magnitude"]


def instance(k):
    kind = KINDS[k % len(KINDS)]
    rows, cols = int(rng.integers(1, 15)), int(rng.integers(1, 15))
    if k % 50 == 0:
        rows = 0
    if kind == "uniform":
        c = np.round(rng.random((rows, cols)), 4)
    elif kind == "integer":
        c = rng.integers(0, 5, (rows, cols)).astype(float)
    elif kind == "signed":
        c = np.round(rng.random((rows, cols)) * 2 - 1, 4)
    elif kind == "forbidden":
        c = np.round(rng.random((rows, cols)), 4)
        c[rng.random((rows, cols)) < rng.random() * 0.95] = np.inf
    elif kind == "int-forbidden":
        c = rng.integers(0, 3, (rows, cols)).astype(float)
        c[rng.random((rows, cols)) < 0.5] = np.inf
    elif kind == "very-sparse":
        c = np.round(rng.random((rows, cols)), 4)
        c[rng.random((rows, cols)) < 0.85] = np.inf
    else:
        c = np.round(rng.random((rows, cols)), 3) * 10.0 ** float(rng.choice([-12, 12]))
    try:
        r, s = linear_sum_assignment(c)
        feasible, total = True, float(c[r, s].sum())
    except ValueError:  # "cost matrix is infeasible"
        feasible, total = False, None
    flat = [None if math.isinf(x) else float(x) for x in c.ravel()]
    return {"kind": kind, "rows": rows, "cols": cols, "cost": flat, "feasible": feasible, "total": total}


def main():
    instances = [instance(k) for k in range(300)]
    layers = []
    for k, c in enumerate(pct_frame(7)):
        rows, cols = pct_frame_size(k)
        pairs, cost = paper_solve(c)
        finite = c[np.isfinite(c)]
        layers.append({"rows": rows, "cols": cols, "allowed": int(finite.size),
                       "cost_sum": float(finite.sum()), "pairs": pairs, "cost": cost})
    u = uniform_matrix(100, 100, 100)
    r, s = linear_sum_assignment(u)
    out = {
        "generator": f"gen_golden.py, scipy {scipy.__version__}, numpy {np.__version__}",
        "instances": instances,
        "uniform_100": {"seed": 100, "first": float(u[0, 0]), "last": float(u[-1, -1]),
                        "total": float(u[r, s].sum())},
        "pct_frame": {"seed": 7, "layers": layers},
    }
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
