#!/usr/bin/python3
"""Time scipy.optimize.linear_sum_assignment on the problem families of
lsap's Go benchmarks (bench_test.go), generated bit for bit as gen_test.go
does (splitmix64; only +, -, *, /).

Usage: /usr/bin/python3 lsap/testdata/scipy_bench.py [--quick]

Run it back to back with
    go test ./lsap -run '^$' -bench . -benchtime 20x
on an otherwise quiet machine. It prints one line per benchmark: the Go
benchmark name, then the minimum and median time per operation over the
repeats. The "paper" rows time what the paper's code does per layer pair:
replace +Inf by LARGE = 2*min(r,c)*max|c|+1, solve, and drop the pairs that
landed on LARGE (lapsolver.solve_dense semantics, solved here by scipy).
"""

import statistics
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


class SplitMix:
    """splitmix64, as splitmix in gen_test.go."""

    def __init__(self, seed):
        self.state = seed & MASK

    def uint64(self):
        self.state = (self.state + GAMMA) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def float(self):
        return (self.uint64() >> 11) * 2.0**-53


def uniform_matrix(seed, rows, cols):
    """uniformMatrix in gen_test.go, vectorised."""
    k = np.arange(1, rows * cols + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + k * np.uint64(GAMMA)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) * 2.0**-53).reshape(rows, cols)


PCT_FIELD = 18.4
PCT_CONE2 = 5.29
PCT_SIGMA = 0.6
PCT_SCALE2 = 0.64
PCT_SQRT3 = 1.7320508075688772
PCT_TRUE_NUM = 17
PCT_FRAME_LAYERS = 27


def pct_problem(seed, rows, cols):
    """pctProblem in gen_test.go: dense costs, +Inf outside the cone."""
    r = SplitMix(seed)
    xr, yr = [0.0] * rows, [0.0] * rows
    for i in range(rows):
        xr[i] = PCT_FIELD * r.float()
        yr[i] = PCT_FIELD * r.float()

    def gauss():
        return (r.float() + r.float() + r.float() + r.float() - 2) * PCT_SQRT3

    n_true = min(rows, cols) * PCT_TRUE_NUM // 20
    xc, yc = [0.0] * cols, [0.0] * cols
    for j in range(cols):
        if j < n_true:
            xc[j] = xr[j] + PCT_SIGMA * gauss()
            yc[j] = yr[j] + PCT_SIGMA * gauss()
        else:
            xc[j] = PCT_FIELD * r.float()
            yc[j] = PCT_FIELD * r.float()
    for j in range(cols - 1, 0, -1):
        k = int(r.float() * (j + 1))
        xc[j], xc[k] = xc[k], xc[j]
        yc[j], yc[k] = yc[k], yc[j]
    c = np.full((rows, cols), np.inf)
    for i in range(rows):
        for j in range(cols):
            dx, dy = xr[i] - xc[j], yr[i] - yc[j]
            d2 = dx * dx + dy * dy
            if d2 < PCT_CONE2:
                t = d2 / PCT_SCALE2
                c[i, j] = t / (1 + t)
    return c


def pct_frame_size(k):
    h = lambda l: 150 - 44 * l // 10
    return h(k + 1), h(k)


def pct_frame(seed):
    return [pct_problem(seed + k, *pct_frame_size(k)) for k in range(PCT_FRAME_LAYERS)]


def paper_solve(c):
    """lapsolver.solve_dense semantics: returns (pairs, cost)."""
    finite = np.isfinite(c)
    if c.size == 0 or not finite.any():
        return 0, 0.0
    large = 2 * min(c.shape) * np.abs(c[finite]).max() + 1
    filled = np.where(finite, c, large)
    rows, cols = linear_sum_assignment(filled)
    keep = finite[rows, cols]
    return int(keep.sum()), float(c[rows[keep], cols[keep]].sum())


def timeit(f, repeats):
    f()  # warm up
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts)


def fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:9.1f} µs"
    return f"{seconds * 1e3:9.3f} ms"


def main():
    quick = "--quick" in sys.argv
    rep = (lambda n: max(2, n // 10)) if quick else (lambda n: n)
    print(f"scipy {__import__('scipy').__version__}, numpy {np.__version__}")
    print(f"{'benchmark':28s} {'min':>12s} {'median':>12s}")

    def row(name, f, repeats):
        lo, med = timeit(f, repeats)
        print(f"{name:28s} {fmt(lo)} {fmt(med)}", flush=True)

    for n, reps in [(100, 200), (500, 20), (1000, 10), (2000, 5)]:
        c = uniform_matrix(n, n, n)
        row(f"Dense/n={n}", lambda: linear_sum_assignment(c), rep(reps))
    c = uniform_matrix(500, 500, 1000)
    row("Rect/500x1000", lambda: linear_sum_assignment(c), rep(20))
    c = uniform_matrix(1000, 1000, 500)
    row("Rect/1000x500", lambda: linear_sum_assignment(c), rep(20))

    for k in (10, 100):
        c = np.floor(uniform_matrix(9, 1000, 1000) * k)
        row(f"Ties/n=1000-int{k}", lambda: linear_sum_assignment(c), rep(10))

    c = pct_problem(42, 100, 100)
    row("PCT/dense-paper", lambda: paper_solve(c), rep(2000))
    row("PCT/lsa-only", lambda: linear_sum_assignment(np.where(np.isfinite(c), c, 201.0)), rep(2000))
    frame = pct_frame(7)
    row("PCTFrame/dense-paper", lambda: [paper_solve(p) for p in frame], rep(200))
    print(f"pct problem 100x100 seed 42: {np.isfinite(c).mean() * 100:.2f} % allowed, paper solve {paper_solve(c)}")


if __name__ == "__main__":
    main()
