"""Multi-objective test problems for tools/bench/mo_bench.py, and the
hypervolume arithmetic the benchmark scores them with.

Every problem is minimized in all objectives, lives on the unit cube
(parameters x0..x{d-1} in [0, 1]) and has a reference point; `true_hv` is
the hypervolume of its true (feasible) Pareto front under that point,
analytic where known, else from a dense sample of the front (computed once,
deterministically). Constraints: values that must be <= 0.

Standard definitions: ZDT1-3 (Zitzler, Deb & Thiele 2000) in 6 dimensions,
reference (11, 11) as BoTorch uses; DTLZ2 (Deb et al. 2002) with 3 objectives
in 6 dimensions, reference (1.1, 1.1, 1.1); Branin-Currin (Belakaria et al.
2019), reference (18, 6) as BoTorch; constrained Branin-Currin (BoTorch's
ConstrainedBraninCurrin: a disc constraint on Branin's domain), reference
(80, 12).
"""
import math
from typing import Callable, Dict, List, Sequence

import numpy as np


def nondominated(points: np.ndarray) -> np.ndarray:
    """Rows of `points` [n, m] that no other row dominates (duplicates kept once)."""
    if len(points) == 0:
        return points
    pts = np.unique(points, axis=0)  # sorted by the first column, then the rest
    if pts.shape[1] == 2:  # a sweep: keep rows strictly below every earlier row's second value
        best = np.minimum.accumulate(pts[:, 1])
        keep = np.ones(len(pts), dtype=bool)
        keep[1:] = pts[1:, 1] < best[:-1]
        return pts[keep]
    keep = np.ones(len(pts), dtype=bool)
    for i in range(len(pts)):
        if keep[i]:
            dominated = np.all(pts[i] <= pts, axis=1) & np.any(pts[i] < pts, axis=1)
            keep &= ~dominated
    return pts[keep]


def hypervolume(points: Sequence[Sequence[float]], ref: Sequence[float]) -> float:
    """Exact hypervolume dominated by `points` under `ref` (2 or 3 objectives)."""
    ref = np.asarray(ref, dtype=float)
    pts = np.asarray(points, dtype=float).reshape(-1, len(ref))
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    pts = nondominated(pts)
    if len(ref) == 2:
        pts = pts[np.argsort(pts[:, 0])]
        hv, best = 0.0, ref[1]
        for x, y in pts:
            if y < best:
                hv += (ref[0] - x) * (best - y)
                best = y
        return float(hv)
    if len(ref) == 3:  # slices along the third objective, each a 2-D sweep
        pts = pts[np.argsort(pts[:, 2])]
        hv = 0.0
        for i in range(len(pts)):
            z_next = pts[i + 1, 2] if i + 1 < len(pts) else ref[2]
            if z_next > pts[i, 2]:
                hv += hypervolume(pts[: i + 1, :2], ref[:2]) * (z_next - pts[i, 2])
        return float(hv)
    raise ValueError("hypervolume: 2 or 3 objectives")


class Problem:
    def __init__(self, name: str, dims: int, objectives: int, ref: Sequence[float],
                 fn: Callable[[np.ndarray], List[float]], true_hv: Callable[[], float],
                 constraints: Callable[[np.ndarray], List[float]] = None):
        self.name, self.dims, self.objectives, self.ref = name, dims, objectives, list(ref)
        self._fn, self._true_hv, self._constraints = fn, true_hv, constraints
        self._hv_cache = None

    @property
    def n_constraints(self) -> int:
        return 0 if self._constraints is None else len(self._constraints(np.full(self.dims, 0.5)))

    def evaluate(self, x: Sequence[float]):
        """(objectives, constraint values)."""
        x = np.asarray(x, dtype=float)
        cons = [] if self._constraints is None else [float(c) for c in self._constraints(x)]
        return [float(v) for v in self._fn(x)], cons

    def true_hv(self) -> float:
        if self._hv_cache is None:
            self._hv_cache = float(self._true_hv())
        return self._hv_cache

    def sweep_parameters(self) -> Dict:
        return {f"x{i}": {"min": 0.0, "max": 1.0} for i in range(self.dims)}


def zdt(kind: int, d: int = 6) -> Problem:
    def fn(x):
        f1 = x[0]
        g = 1 + 9 * np.sum(x[1:]) / (d - 1)
        r = f1 / g
        h = {1: 1 - math.sqrt(r), 2: 1 - r * r, 3: 1 - math.sqrt(r) - r * math.sin(10 * math.pi * f1)}[kind]
        return [f1, g * h]

    def true_hv():
        f1 = np.linspace(0, 1, 200001)
        f2 = {1: 1 - np.sqrt(f1), 2: 1 - f1 ** 2, 3: 1 - np.sqrt(f1) - f1 * np.sin(10 * np.pi * f1)}[kind]
        return hypervolume(np.stack([f1, f2], 1), [11, 11])

    return Problem(f"zdt{kind}", d, 2, [11, 11], fn, true_hv)


def dtlz2(d: int = 6, m: int = 3) -> Problem:
    def fn(x):
        g = np.sum((x[m - 1:] - 0.5) ** 2)
        f = []
        for i in range(m):
            v = 1 + g
            for j in range(m - 1 - i):
                v *= math.cos(x[j] * math.pi / 2)
            if i > 0:
                v *= math.sin(x[m - 1 - i] * math.pi / 2)
            f.append(v)
        return f

    # The front is the unit sphere's positive orthant: dominated volume under
    # 1.1^m is the box minus the orthant's share of the unit ball.
    ball = {2: math.pi / 4, 3: math.pi / 6}[m]
    return Problem(f"dtlz2_{d}d{m}o", d, m, [1.1] * m, fn, lambda: 1.1 ** m - ball)


def _branin(x1, x2):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10


def _currin(x0, x1):
    x1 = np.maximum(x1, 1e-12)
    factor = 1 - np.exp(-1 / (2 * x1))
    return factor * (2300 * x0 ** 3 + 1900 * x0 ** 2 + 2092 * x0 + 60) / (
        100 * x0 ** 3 + 500 * x0 ** 2 + 4 * x0 + 20)


def _bc(x):
    return np.stack([_branin(15 * x[..., 0] - 5, 15 * x[..., 1]), _currin(x[..., 0], x[..., 1])], -1)


def _disc(x):  # BoTorch ConstrainedBraninCurrin: (x1-2.5)^2 + (x2-7.5)^2 <= 50
    return (15 * x[..., 0] - 5 - 2.5) ** 2 + (15 * x[..., 1] - 7.5) ** 2 - 50


def _grid_hv(ref, constrained):
    g = np.linspace(0, 1, 1201)
    xx = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    f = _bc(xx)
    if constrained:
        f = f[_disc(xx) <= 0]
    return hypervolume(f, ref)


PROBLEMS: Dict[str, Problem] = {p.name: p for p in [
    zdt(1), zdt(2), zdt(3), dtlz2(),
    # BoTorch's max_hv (a grid of the domain comes within 0.3% from below:
    # mo_problems_test.py).
    Problem("branin_currin", 2, 2, [18, 6], lambda x: list(_bc(x)), lambda: 59.36011874867746),
    Problem("c_branin_currin", 2, 2, [80, 12], lambda x: list(_bc(x)), lambda: 608.4004237022673,
            constraints=lambda x: [_disc(x)]),
]}
