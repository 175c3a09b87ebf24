"""Checks the benchmark suite itself (bo_problems.py): each test function at its
documented minimiser equals its documented minimum within 1e-4, no sampled
point of the box falls below it, and every space is well formed. Standard
library only; the model-tuning task is not evaluated (that needs sklearn and
seconds). Exits non-zero with one line per defect."""
import math
import random
import sys

import bo_problems as bp

TOLERANCE = 1e-4
SAMPLES = 500  # random points per function: a lower bound that fails would show a wrong minimum


def check(problem):
    errors = []
    err = lambda msg: errors.append(f"{problem.name}: {msg}")
    names = [p.name for p in problem.params]
    if len(set(names)) != len(names):
        err(f"duplicate parameter names {names}")
    if not 2 <= problem.dims <= 10:
        err(f"expected 2-10 dimensions, found {problem.dims}")
    for p in problem.params:
        if p.kind == bp.CATEGORICAL:
            if len(p.values) < 2 or len(set(p.values)) != len(p.values):
                err(f"{p.name}: expected >= 2 distinct values, found {p.values}")
        elif not p.low < p.high:
            err(f"{p.name}: expected low < high, found [{p.low}, {p.high}]")
        elif p.kind == bp.INT and (p.low != int(p.low) or p.high != int(p.high)):
            err(f"{p.name}: integer bounds must be whole, found [{p.low}, {p.high}]")
        elif p.kind == bp.LOG_FLOAT and p.low <= 0:
            err(f"{p.name}: log scale needs low > 0, found {p.low}")
    spec = problem.sweep_parameters()
    if sorted(spec) != sorted(names):
        err(f"sweep parameters {sorted(spec)} != space {sorted(names)}")
    if problem.kind == "model":
        if problem.minimum is not None or problem.argmin is not None:
            err("a model-tuning task's optimum is measured, not documented")
        return errors
    if problem.minimum is None or problem.argmin is None:
        return errors + [f"{problem.name}: a test function needs a documented minimum and minimiser"]
    try:
        problem.check_params(problem.argmin)
    except ValueError as e:
        err(f"documented minimiser outside the space: {e}")
        return errors
    value = problem.evaluate(problem.argmin)
    if not abs(value - problem.minimum) <= TOLERANCE:
        err(f"f(argmin) = {value!r}, documented minimum {problem.minimum!r}")
    rng = random.Random(0)
    for _ in range(SAMPLES):
        x = {p.name: rng.randint(int(p.low), int(p.high)) if p.kind == bp.INT else rng.uniform(p.low, p.high)
             for p in problem.params}
        y = problem.evaluate(x)
        if not math.isfinite(y) or y < problem.minimum - TOLERANCE:
            err(f"f({x}) = {y!r} is below the documented minimum {problem.minimum!r}")
            break
    return errors


def main():
    errors = []
    if "sklearn" in sys.modules:
        errors.append("importing bo_problems imported sklearn; it must load only when evaluated")
    for problem in bp.PROBLEMS.values():
        errors += check(problem)
    functions = [p for p in bp.PROBLEMS.values() if p.kind == "function"]
    if len(functions) < 8:
        errors.append(f"expected >= 8 test functions, found {len(functions)}")
    if not any(p.kind == "model" for p in bp.PROBLEMS.values()):
        errors.append("expected a model-tuning task")
    if not any(q.kind in (bp.INT, bp.CATEGORICAL) for p in bp.PROBLEMS.values() for q in p.params):
        errors.append("expected a problem with integer or categorical parameters")
    errors += [f"QUICK names unknown problem {n}" for n in bp.QUICK if n not in bp.PROBLEMS]
    for e in errors:
        print("FAIL", e)
    print(f"{len(bp.PROBLEMS)} problems, {len(errors)} defects")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
