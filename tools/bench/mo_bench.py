"""Multi-objective benchmark through the product path: drives one running
hpsweep coordinator over HTTP as an external ask/tell client would (a sweep
with `metrics` and `constraints`, then POST /api/v1/ask and
/api/v1/trials/{id}/complete), and runs Optuna 3.1's MOTPE (TPESampler on a
multi-objective study) and NSGA-II on the same problems and seeds in the
same invocation (a child process, meanwhile). tools/bench/mo_bench.sh builds
and starts the coordinator and calls this; see its header for usage.

Score: hypervolume regret = the true front's hypervolume minus the
hypervolume of the feasible trials found (mo_problems.py), after 50 and
`--evals` evaluations (read off the same runs in completion order), median
over seeds. Per (evaluations, batch) the geometric mean over problems of
(method's median regret / Optuna MOTPE's) is printed; the goal for hpsweep
is <= 0.5. Prints figures, asserts nothing; the last line is one JSON object.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
from typing import Dict, List

import mo_problems
from bo_client import ApiError, Connection, OptunaChild, run_clients

HPSWEEP_METHODS = ("random", "tpe", "bayes")
OPTUNA_METHODS = ("optuna_motpe", "optuna_nsga2")
ALL_METHODS = HPSWEEP_METHODS + OPTUNA_METHODS
ANCHOR = "optuna_motpe"
# Regrets below FLOOR x the true hypervolume count as that in ratios.
FLOOR = 1e-6


def run_key(problem: str, method: str, batch: int, seed: int) -> str:
    return f"{problem}/{method}/b{batch}/s{seed}"


def hpsweep_run(endpoint: str, token: str, problem: mo_problems.Problem, method: str, batch: int,
                seed: int, evals: int, ask_timeout: float) -> Dict:
    name = "mo-bench-" + run_key(problem.name, method, batch, seed).replace("/", "-")
    main = Connection(endpoint, token, timeout_s=ask_timeout)
    spec = {"name": name, "metrics": [{"name": f"f{k}", "goal": "minimize"} for k in range(problem.objectives)],
            "method": method, "parameters": problem.sweep_parameters(), "max_trials": evals, "seed": seed,
            "program": {"external": True}}
    if problem.n_constraints:
        spec["constraints"] = [f"c{k} <= 0" for k in range(problem.n_constraints)]
    sweep_id = main.create_sweep(spec)["id"]

    def evaluate(trial: Dict):
        x = [trial["params"][f"x{i}"] for i in range(problem.dims)]
        f, c = problem.evaluate(x)
        values = {f"f{k}": v for k, v in enumerate(f)}
        values.update({f"c{k}": v for k, v in enumerate(c)})
        return values, ([f, c], trial.get("origin") or {})

    driven = run_clients(endpoint, token, sweep_id, name, evals, batch, evaluate, ask_timeout)
    results = [r[0] for r in driven["records"]]
    origins: Dict[str, int] = {}
    for _, o in driven["records"]:
        # source:model, as `hpsweep trials` labels it.
        source = o.get("source", "?")
        label = source + (":" + o["model"] if o.get("model") and source != "fallback" else "")
        origins[label] = origins.get(label, 0) + 1
    latencies, errors, wall = driven["ask_s"], driven["errors"], driven["wall_s"]
    front = main.call("GET", f"/api/v1/sweeps/{sweep_id}/pareto")["trials"]
    main.close()
    return {"results": results, "ask_s": latencies, "wall_s": wall, "origins": origins, "errors": errors,
            "front_size": len(front)}


def optuna_run(problem: mo_problems.Problem, method: str, batch: int, seed: int, evals: int) -> Dict:
    import optuna
    constraints_func = None
    if problem.n_constraints:
        constraints_func = lambda t: t.user_attrs["constraints"]  # noqa: E731
    if method == "optuna_motpe":
        sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=constraints_func)
    else:
        sampler = optuna.samplers.NSGAIISampler(seed=seed, constraints_func=constraints_func)
    study = optuna.create_study(directions=["minimize"] * problem.objectives, sampler=sampler)
    results, latencies = [], []
    start = time.perf_counter()
    while len(results) < evals:
        asked = []
        for _ in range(min(batch, evals - len(results))):
            t0 = time.perf_counter()
            trial = study.ask()
            x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(problem.dims)]
            latencies.append(time.perf_counter() - t0)
            asked.append((trial, x))
        for trial, x in asked:
            f, c = problem.evaluate(x)
            trial.set_user_attr("constraints", c)
            study.tell(trial, f)
            results.append([f, c])
    return {"results": results, "ask_s": latencies, "wall_s": time.perf_counter() - start, "origins": {},
            "errors": []}


def optuna_phase(args) -> None:
    import optuna
    import warnings
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")  # constraints_func is experimental in 3.1
    with open(args.optuna_out, "w") as out:
        for seed, pname, batch, method in jobs(args, OPTUNA_METHODS):
            r = optuna_run(mo_problems.PROBLEMS[pname], method, batch, seed, args.evals)
            r["key"] = run_key(pname, method, batch, seed)
            out.write(json.dumps(r) + "\n")
            out.flush()


def jobs(args, methods):
    """(seed, problem, batch, method) of `methods`, seed by seed: a run cut
    short has every problem at its first seeds."""
    return [(s, p, b, m) for s in range(args.seeds) for p in args.problems for b in args.batches
            for m in args.methods if m in methods]


def regret(problem: mo_problems.Problem, results: List, n: int) -> float:
    feasible = [f for f, c in results[:n] if all(v <= 0 for v in c)]
    return max(0.0, problem.true_hv() - mo_problems.hypervolume(feasible, problem.ref))


def geomean(xs: List[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def figures(args, runs: Dict[str, Dict]) -> Dict:
    counts = sorted({min(50, args.evals), args.evals})
    table: Dict = {}
    seeds_used: Dict = {}
    for pname in args.problems:
        p = mo_problems.PROBLEMS[pname]
        for b in args.batches:
            # Every method on the same seeds: those all of them ran (a run
            # cut short, read back with --report-from, may lack the last).
            seeds = [s for s in range(args.seeds)
                     if all(run_key(pname, m, b, s) in runs for m in args.methods)]
            seeds_used.setdefault(pname, {})[f"b{b}"] = len(seeds)
            for m in args.methods:
                for n in counts:
                    rs = [regret(p, runs[run_key(pname, m, b, s)]["results"], n) for s in seeds]
                    if rs:
                        table.setdefault(pname, {}).setdefault(m, {})[f"b{b}/n{n}"] = statistics.median(rs)
    ratios: Dict = {}
    for m in args.methods:
        if m == ANCHOR:
            continue
        for b in args.batches:
            for n in counts:
                cell = f"b{b}/n{n}"
                rs = []
                for pname, per in table.items():
                    if m in per and ANCHOR in per and cell in per[m] and cell in per[ANCHOR]:
                        floor = FLOOR * mo_problems.PROBLEMS[pname].true_hv()
                        rs.append(max(per[m][cell], floor) / max(per[ANCHOR][cell], floor))
                if rs:
                    ratios.setdefault(m, {})[cell] = geomean(rs)
    return {"median_hv_regret": table, "geomean_ratio_vs_motpe": ratios, "seeds": seeds_used,
            "true_hv": {p: mo_problems.PROBLEMS[p].true_hv() for p in args.problems}}


def print_report(args, fig: Dict, runs: Dict, defects: List[str], wall: float) -> None:
    cells = sorted({c for per in fig["median_hv_regret"].values() for m in per.values() for c in m})
    print(f"\nmulti-objective benchmark: {args.seeds} seeds, {args.evals} evaluations, batches {args.batches}; "
          f"median hypervolume regret (true front's HV minus found), lower is better")
    for pname, per in fig["median_hv_regret"].items():
        seeds = ", ".join(f"{b} {n}" for b, n in fig["seeds"][pname].items())
        print(f"\n{pname} (true HV {fig['true_hv'][pname]:.6g}; seeds per batch: {seeds})")
        print("  " + "method".ljust(14) + "".join(c.rjust(14) for c in cells))
        for m, row in per.items():
            print("  " + m.ljust(14) + "".join((f"{row[c]:.5g}" if c in row else "-").rjust(14) for c in cells))
    print("\ngeometric mean over problems of (median regret / Optuna MOTPE's); goal for hpsweep <= 0.5")
    for m, row in fig["geomean_ratio_vs_motpe"].items():
        print("  " + m.ljust(14) + "".join((f"{row[c]:.3f}" if c in row else "-").rjust(14) for c in cells))
    asks = [s for k, r in runs.items() if k.split("/")[1] == "bayes" for s in r["ask_s"]]
    if asks:
        asks.sort()
        print(f"\nbayes ask latency: p50 {1e3 * asks[len(asks) // 2]:.1f} ms, "
              f"p99 {1e3 * asks[min(len(asks) - 1, int(0.99 * len(asks)))]:.1f} ms over {len(asks)} asks")
    fallbacks = sum(r["origins"].get("fallback", 0) for r in runs.values())
    for m in HPSWEEP_METHODS:
        served: Dict[str, int] = {}
        for k, r in runs.items():
            if k.split("/")[1] == m:
                for label, n in r["origins"].items():
                    served[label] = served.get(label, 0) + n
        if served:
            print(f"{m} trials by origin: " + ", ".join(f"{l} {n}" for l, n in sorted(served.items())))
    print(f"fallbacks served: {fallbacks}; wall {wall:.0f} s")
    for d in defects:
        print("DEFECT: " + d)


def measure(args):
    endpoint = open(os.path.join(args.data_dir, "endpoint")).read().strip()
    token = open(os.path.join(args.data_dir, "token")).read().strip()
    start = time.perf_counter()
    runs: Dict[str, Dict] = {}
    defects: List[str] = []
    child = None
    if any(m in OPTUNA_METHODS for m in args.methods):
        child = OptunaChild(__file__, ["--seeds", str(args.seeds), "--evals", str(args.evals),
                                       "--problems", ",".join(args.problems), "--methods", ",".join(args.methods),
                                       "--batches", ",".join(map(str, args.batches))],
                            "mo_bench_optuna_", args.runs_out + ".optuna" if args.runs_out else None)
    done = set()
    if args.resume and args.runs_out and os.path.exists(args.runs_out):
        with open(args.runs_out) as f:
            done = {json.loads(line)["key"] for line in f if line.strip()}
    try:
        for s, pname, b, m in jobs(args, HPSWEEP_METHODS):
            key = run_key(pname, m, b, s)
            if key in done:
                continue
            try:
                r = hpsweep_run(endpoint, token, mo_problems.PROBLEMS[pname], m, b, s, args.evals,
                                args.ask_timeout)
            except (ApiError, OSError) as e:  # the sweep could not be created or read
                r = {"results": [], "ask_s": [], "wall_s": 0.0, "origins": {}, "front_size": 0,
                     "errors": [f"{type(e).__name__}: {e}"]}
            runs[key] = r
            defects.extend(f"{key}: {e}" for e in r["errors"])
            if len(r["results"]) != args.evals:
                defects.append(f"{key}: {len(r['results'])} of {args.evals} trials completed")
            if args.runs_out:
                with open(args.runs_out, "a") as out:
                    out.write(json.dumps(dict(r, key=key)) + "\n")
            print(f"[{time.perf_counter() - start:6.0f} s] {key}: regret "
                  f"{regret(mo_problems.PROBLEMS[pname], r['results'], args.evals):.5g}, "
                  f"front {r['front_size']}", file=sys.stderr, flush=True)
    except BaseException:
        if child is not None:
            child.kill()
        raise
    if child is not None:
        optuna_runs, optuna_defects = child.collect()
        runs.update(optuna_runs)
        defects.extend(optuna_defects)
    return runs, defects, time.perf_counter() - start


def read_runs(args):
    """The runs a --runs-out file pair holds (a run cut short: the runs that
    ended). Every run's seed counts; the report names how many there were."""
    runs: Dict[str, Dict] = {}
    for path in (args.report_from, args.report_from + ".optuna"):
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    if line.strip():
                        r = json.loads(line)
                        runs[r.pop("key")] = r
    defects = [f"{k}: {e}" for k, r in runs.items() for e in r["errors"]]
    return runs, defects, sum(r["wall_s"] for r in runs.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", help="the running coordinator's data dir (endpoint and token files)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--evals", type=int, default=100)
    ap.add_argument("--problems", default=",".join(mo_problems.PROBLEMS))
    ap.add_argument("--methods", default="tpe,bayes,optuna_motpe,optuna_nsga2")
    ap.add_argument("--batches", default="1,4")
    ap.add_argument("--ask-timeout", type=float, default=120.0)
    ap.add_argument("--json-out", help="also write the final JSON object here")
    ap.add_argument("--runs-out", help="append every run's raw results here as it ends (JSON lines; "
                                       "Optuna's go to FILE.optuna)")
    ap.add_argument("--report-from", help="print the report from --runs-out files (FILE and FILE.optuna, "
                                          "complete or cut short) instead of measuring; same settings flags")
    ap.add_argument("--resume", action="store_true",
                    help="skip the hpsweep runs --runs-out already holds (a run cut short, continued; "
                         "the report then needs --report-from)")
    ap.add_argument("--optuna-out", help=argparse.SUPPRESS)
    ap.add_argument("--check-args", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    split = lambda s: [x for x in s.split(",") if x]  # noqa: E731
    args.problems, args.methods = split(args.problems), split(args.methods)
    args.batches = [int(b) for b in split(args.batches)]
    for p in args.problems:
        if p not in mo_problems.PROBLEMS:
            ap.error(f"--problems: unknown problem {p!r}; known: {', '.join(mo_problems.PROBLEMS)}")
    for m in args.methods:
        if m not in ALL_METHODS:
            ap.error(f"--methods: unknown method {m!r}; known: {', '.join(ALL_METHODS)}")
    if args.seeds < 1 or args.evals < 1 or any(b < 1 for b in args.batches):
        ap.error("--seeds, --evals and --batches must be positive")
    if args.resume and (not args.runs_out or any(m in OPTUNA_METHODS for m in args.methods)):
        ap.error("--resume needs --runs-out and hpsweep methods only (Optuna's file is rewritten)")
    if args.check_args:
        return 0
    if args.optuna_out:
        optuna_phase(args)
        return 0
    if args.report_from:
        runs, defects, wall = read_runs(args)
    else:
        if not args.data_dir:
            ap.error("--data-dir is required (tools/bench/mo_bench.sh passes it)")
        runs, defects, wall = measure(args)
    fig = figures(args, runs)
    print_report(args, fig, runs, defects, wall)
    text = json.dumps({"figures": fig, "defects": defects, "wall_s": wall})
    if args.json_out:
        with open(args.json_out, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
