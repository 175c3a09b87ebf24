"""The Bayesian-optimization benchmark's problems: standard test functions with
known optima and one model-tuning task on a scikit-learn dataset.

Every problem is minimised. A problem is a list of `Param`s (the search space,
written once and turned into both an hpsweep sweep's `parameters` and Optuna
`suggest_*` calls), an `evaluate(params) -> float`, and for the test functions
the documented global minimum and one documented minimiser, which
bo_problems_test.py checks.

Definitions and bounds follow the Virtual Library of Simulation Experiments
(S. Surjanovic and D. Bingham, https://www.sfu.ca/~ssurjano/optimization.html,
cited below as "VLSE") unless a comment says otherwise. Nothing here may be
tuned to make one searcher look better: the suite is the suite.

Importing this module needs only the Python standard library; the
scikit-learn task imports sklearn the first time it is evaluated.
"""
import math
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

FLOAT, LOG_FLOAT, INT, CATEGORICAL = "float", "log_float", "int", "categorical"


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # FLOAT, LOG_FLOAT, INT or CATEGORICAL
    low: float = 0.0
    high: float = 0.0
    values: Tuple = ()  # CATEGORICAL only

    def contains(self, v) -> bool:
        if self.kind == CATEGORICAL:
            return v in self.values
        if self.kind == INT and (isinstance(v, bool) or not isinstance(v, int)):
            return False
        return self.low <= v <= self.high


@dataclass(frozen=True)
class Problem:
    name: str
    params: Tuple[Param, ...]
    evaluate: Callable[[Dict], float]
    # Documented global minimum and a minimiser in `params`' names; None for a
    # model-tuning task, whose optimum is the best value any method found in
    # the same benchmark invocation.
    minimum: Optional[float]
    argmin: Optional[Dict] = None
    kind: str = "function"  # "function" or "model"
    reference: str = ""

    @property
    def dims(self) -> int:
        return len(self.params)

    def sweep_parameters(self) -> Dict:
        """The hpsweep sweep file's `parameters` object for this space."""
        out = {}
        for p in self.params:
            if p.kind == FLOAT:
                out[p.name] = {"distribution": "uniform", "min": p.low, "max": p.high}
            elif p.kind == LOG_FLOAT:
                out[p.name] = {"distribution": "log_uniform", "min": p.low, "max": p.high}
            elif p.kind == INT:
                out[p.name] = {"distribution": "int_uniform", "min": int(p.low), "max": int(p.high)}
            else:
                out[p.name] = {"distribution": "categorical", "values": list(p.values)}
        return out

    def suggest_optuna(self, trial) -> Dict:
        """The same space sampled through an Optuna trial."""
        out = {}
        for p in self.params:
            if p.kind in (FLOAT, LOG_FLOAT):
                out[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.kind == LOG_FLOAT)
            elif p.kind == INT:
                out[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high))
            else:
                out[p.name] = trial.suggest_categorical(p.name, list(p.values))
        return out

    def check_params(self, params: Dict) -> None:
        """Raises ValueError naming the first parameter outside the space."""
        if set(params) != {p.name for p in self.params}:
            raise ValueError(f"{self.name}: expected parameters {sorted(p.name for p in self.params)}, "
                             f"found {sorted(params)}")
        for p in self.params:
            if not p.contains(params[p.name]):
                raise ValueError(f"{self.name}: parameter {p.name} = {params[p.name]!r} outside "
                                 f"{p.values if p.kind == CATEGORICAL else (p.low, p.high)} ({p.kind})")


def _names(d: int) -> List[str]:
    return [f"x{i:02d}" for i in range(d)]  # zero-padded: name order is index order


def _box(d: int, low: float, high: float, int_dims: Sequence[int] = ()) -> Tuple[Param, ...]:
    return tuple(Param(n, INT if i in int_dims else FLOAT, low, high) for i, n in enumerate(_names(d)))


def _vector(f: Callable[[List[float]], float], d: int) -> Callable[[Dict], float]:
    names = _names(d)
    return lambda params: float(f([float(params[n]) for n in names]))


def _point(xs: Sequence[float]) -> Dict:
    return dict(zip(_names(len(xs)), xs))


# --- Test functions ---------------------------------------------------------

def branin(x):
    """VLSE "Branin" (Dixon and Szegő 1978), the standard a, b, c, r, s, t."""
    x1, x2 = x
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H_ALPHA = (1.0, 1.2, 3.0, 3.2)
_H3_A = ((3.0, 10, 30), (0.1, 10, 35), (3.0, 10, 30), (0.1, 10, 35))
_H3_P = ((3689, 1170, 2673), (4699, 4387, 7470), (1091, 8732, 5547), (381, 5743, 8828))
_H6_A = ((10, 3, 17, 3.5, 1.7, 8), (0.05, 10, 17, 0.1, 8, 14),
         (3, 3.5, 1.7, 10, 17, 8), (17, 8, 0.05, 10, 0.1, 14))
_H6_P = ((1312, 1696, 5569, 124, 8283, 5886), (2329, 4135, 8307, 3736, 1004, 9991),
         (2348, 1451, 3522, 2883, 3047, 6650), (4047, 8828, 8732, 5743, 1091, 381))


def _hartmann(a, p, x):
    s = 0.0
    for i in range(4):
        s += _H_ALPHA[i] * math.exp(-sum(a[i][j] * (x[j] - p[i][j] * 1e-4) ** 2 for j in range(len(x))))
    return -s


def hartmann3(x):
    """VLSE "Hartmann 3-D" (Dixon and Szegő 1978)."""
    return _hartmann(_H3_A, _H3_P, x)


def hartmann6(x):
    """VLSE "Hartmann 6-D" (Dixon and Szegő 1978), the unscaled form."""
    return _hartmann(_H6_A, _H6_P, x)


def ackley(x):
    """VLSE "Ackley" (Ackley 1987; Bäck 1996), a = 20, b = 0.2, c = 2π. Multimodal."""
    d = len(x)
    s1 = sum(v * v for v in x) / d
    s2 = sum(math.cos(2 * math.pi * v) for v in x) / d
    return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e


def levy(x):
    """VLSE "Levy" (Laguna and Martí 2005). Multimodal."""
    w = [1 + (v - 1) / 4 for v in x]
    s = math.sin(math.pi * w[0]) ** 2
    for wi in w[:-1]:
        s += (wi - 1) ** 2 * (1 + 10 * math.sin(math.pi * wi + 1) ** 2)
    return s + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)


def rosenbrock(x):
    """VLSE "Rosenbrock" (Rosenbrock 1960). A narrow curved valley:
    ill-conditioned, and heavy-tailed under uniform sampling (values to ~1e6)."""
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


def styblinski_tang(x):
    """VLSE "Styblinski-Tang" (Styblinski and Tang 1990). Quartic, 2^d local minima."""
    return 0.5 * sum(v ** 4 - 16 * v ** 2 + 5 * v for v in x)


def michalewicz(x):
    """VLSE "Michalewicz" (Michalewicz 1992), m = 10: steep ridges and valleys."""
    return -sum(math.sin(v) * math.sin((i + 1) * v * v / math.pi) ** 20 for i, v in enumerate(x))


_SHEKEL_B = (0.1, 0.2, 0.2, 0.4, 0.4, 0.6, 0.3, 0.7, 0.5, 0.5)
_SHEKEL_C = ((4, 1, 8, 6, 3, 2, 5, 8, 6, 7), (4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6),
             (4, 1, 8, 6, 3, 2, 5, 8, 6, 7), (4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6))


def shekel(x):
    """VLSE "Shekel" (Shekel 1971), m = 10: ten narrow wells on a flat plain."""
    return -sum(1 / (_SHEKEL_B[i] + sum((x[j] - _SHEKEL_C[j][i]) ** 2 for j in range(4)))
                for i in range(10))


# --- Model tuning -------------------------------------------------------------

class _SvrDiabetes:
    """Support-vector regression on scikit-learn's diabetes data (442 patients,
    10 features; Efron et al. 2004, shipped with Debian's python3-sklearn):
    mean squared error of 5-fold cross-validation (KFold, shuffled with
    random_state 0) on standardised features and target. Deterministic given the
    parameters. `max_iter` = 2000 bounds one evaluation (~10-70 ms on one
    core); an unconverged fit is scored as it stands. `degree` matters only
    for the poly kernel, as in scikit-learn. The sigmoid kernel at large C
    diverges to MSEs of 1e6 and more: a heavy-tailed real objective."""

    def __init__(self):
        self._lock = threading.Lock()
        self._data = None

    def _load(self):
        with self._lock:
            if self._data is None:
                from sklearn.datasets import load_diabetes
                from sklearn.model_selection import KFold
                from sklearn.preprocessing import StandardScaler
                import warnings
                from sklearn.exceptions import ConvergenceWarning
                # Process-wide: catch_warnings() is not thread-safe, and batch
                # clients evaluate in threads. Unconverged fits are expected.
                warnings.filterwarnings("ignore", category=ConvergenceWarning)
                x, y = load_diabetes(return_X_y=True)
                x = StandardScaler().fit_transform(x)
                y = (y - y.mean()) / y.std()
                self._data = (x, y, list(KFold(5, shuffle=True, random_state=0).split(x)))
            return self._data

    def __call__(self, params: Dict) -> float:
        from sklearn.svm import SVR
        x, y, folds = self._load()
        total = 0.0
        for train, test in folds:
            model = SVR(C=params["C"], gamma=params["gamma"], epsilon=params["epsilon"],
                        kernel=params["kernel"], degree=params["degree"], max_iter=2000)
            model.fit(x[train], y[train])
            total += float(((model.predict(x[test]) - y[test]) ** 2).mean())
        return total / len(folds)


# --- The suite ----------------------------------------------------------------

def _suite() -> Dict[str, Problem]:
    problems = [
        Problem("branin", _box(1, -5, 10) + (Param("x01", FLOAT, 0, 15),), _vector(branin, 2),
                0.397887, _point([math.pi, 2.275]), reference="VLSE Branin; minimisers (-pi, 12.275), "
                "(pi, 2.275), (9.42478, 2.475)"),
        Problem("hartmann3", _box(3, 0, 1), _vector(hartmann3, 3), -3.86278,
                _point([0.114614, 0.555649, 0.852547]), reference="VLSE Hartmann 3-D"),
        Problem("hartmann6", _box(6, 0, 1), _vector(hartmann6, 6), -3.32237,
                _point([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]),
                reference="VLSE Hartmann 6-D"),
        Problem("ackley5", _box(5, -32.768, 32.768), _vector(ackley, 5), 0.0, _point([0.0] * 5),
                reference="VLSE Ackley, d = 5, the usual domain [-32.768, 32.768]^d"),
        # Levy with x03..x05 integers: a mixed space; the minimiser (1, ..., 1)
        # lies on the integer lattice, so the minimum is the continuous one.
        Problem("levy6_mixed", _box(6, -10, 10, int_dims=(3, 4, 5)), _vector(levy, 6), 0.0,
                _point([1.0, 1.0, 1.0, 1, 1, 1]),
                reference="VLSE Levy, d = 6, x03..x05 integer"),
        Problem("rosenbrock4", _box(4, -5, 10), _vector(rosenbrock, 4), 0.0, _point([1.0] * 4),
                reference="VLSE Rosenbrock, d = 4"),
        Problem("styblinski_tang10", _box(10, -5, 5), _vector(styblinski_tang, 10),
                -39.16616570377142 * 10, _point([-2.903534027771178] * 10),
                reference="VLSE Styblinski-Tang, d = 10; minimum -39.16599 d (more digits here)"),
        Problem("michalewicz5", _box(5, 0, math.pi), _vector(michalewicz, 5), -4.687658,
                _point([2.202906, 1.570796, 1.284992, 1.923058, 1.720470]),
                reference="VLSE Michalewicz, d = 5, m = 10; minimiser from Vanaret et al. 2020"),
        Problem("shekel4", _box(4, 0, 10), _vector(shekel, 4), -10.536443,
                _point([4.000747, 3.999509, 4.000747, 3.999509]),
                reference="VLSE Shekel, m = 10; minimiser refined numerically from (4, 4, 4, 4)"),
        Problem("svr_diabetes", (
            Param("C", LOG_FLOAT, 1e-2, 1e2),
            Param("degree", INT, 1, 5),
            Param("epsilon", LOG_FLOAT, 1e-3, 1.0),
            Param("gamma", LOG_FLOAT, 1e-4, 1.0),
            Param("kernel", CATEGORICAL, values=("rbf", "poly", "sigmoid")),
        ), _SvrDiabetes(), None, kind="model",
            reference="scikit-learn SVR on load_diabetes, 5-fold CV MSE"),
    ]
    return {p.name: p for p in problems}


PROBLEMS: Dict[str, Problem] = _suite()
# The --quick smoke run: a 2-D multimodal function, the ill-conditioned one,
# and the model-tuning task (integer and categorical parameters).
QUICK = ("branin", "rosenbrock4", "svr_diabetes")
