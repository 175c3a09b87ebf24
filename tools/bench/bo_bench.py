"""Bayesian-optimization benchmark through the product path: drives one running
hpsweep coordinator over HTTP exactly as an external ask/tell client would
(POST /api/v1/sweeps with an external program, then POST /api/v1/ask and
/api/v1/trials/{id}/complete), and runs Optuna 3.1's TPE and random search on
the same problems and seeds in the same invocation. tools/bench/bo_bench.sh
builds and starts the coordinator and calls this; see its header for usage.

Phases:
  1. Instant clients (ask again the moment a trial completes), batch 1 and 4
     (four client threads asking and completing concurrently, count 1 each),
     every problem x method x seed, `--evals` evaluations; the figures at 50
     are read off the first 50 completed trials of the same runs. Optuna runs
     in a child process meanwhile (batch 4 = ask 4, tell 4, constant liar, as
     shared/anchors/optuna_baseline.py does).
  2. Pausing clients (sleep per trial) on a small subset, hpsweep only (a pause
     changes nothing for an in-process Optuna study).
  3. Latency: p50 ask latency of a fresh `bayes` suggestion at 100 and 1,000
     observations, with nothing else running.

Prints figures, asserts nothing about them; problems the harness sees (errors,
fallbacks, empty or stalled asks, duplicate or out-of-space suggestions) are
listed as defects. The last line is one JSON object with every figure.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
from typing import Dict, List

import bo_problems
from bo_client import ApiError, Connection, OptunaChild, run_clients

HPSWEEP_METHODS = ("random", "tpe", "bayes")
OPTUNA_METHODS = ("optuna_tpe", "optuna_random")
ALL_METHODS = HPSWEEP_METHODS + OPTUNA_METHODS
# A regret below FLOOR x the problem's scale counts as FLOOR x scale in ratios
# (a ratio of two zeros is 1, and one zero cannot make a ratio 0 or infinite).
FLOOR = 1e-6
METRIC = "y"
FALLBACK_SERIES = "hpsweep_suggestions_fallback_total"
# --runs-out is rewritten this often while measuring, so a run cut short
# leaves its finished runs behind.
PARTIAL_SAVE_S = 60.0


def percentile(xs: List[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]); NaN for no data."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


def seed_range(args) -> range:
    """The seeds of the instant-client runs."""
    return range(args.first_seed, args.first_seed + args.seeds)


def geomean(xs: List[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def run_key(problem: str, method: str, batch: int, seed: int, pause: float) -> str:
    return f"{problem}/{method}/b{batch}/s{seed}" + (f"/pause{pause:g}" if pause else "")


# --- One hpsweep run through the API ---------------------------------------------

def hpsweep_run(endpoint: str, token: str, problem: bo_problems.Problem, method: str, batch: int,
                seed: int, evals: int, pause: float, ask_timeout: float) -> Dict:
    """Creates one external sweep and runs `evals` trials with `batch` client
    threads. Returns the completed values in completion order, every ask's
    latency, the origins served and what looked wrong."""
    name = "bench-" + run_key(problem.name, method, batch, seed, pause).replace("/", "-")
    main = Connection(endpoint, token, timeout_s=ask_timeout)
    spec = {"name": name, "metric": {"name": METRIC, "goal": "minimize"}, "method": method,
            "parameters": problem.sweep_parameters(), "max_trials": evals, "seed": seed,
            "program": {"external": True}}  # default method_options: what users get
    before = main.metrics().get(FALLBACK_SERIES, 0.0)
    sweep_id = main.create_sweep(spec)["id"]

    def evaluate(trial: Dict):
        params = trial["params"]
        outside = None
        try:
            problem.check_params(params)
        except ValueError as e:
            # A defect of the searcher; evaluated anyway, as a real client
            # would (a run stops only if evaluation fails).
            outside = f"trial {trial['id']} (sweep {sweep_id}): {e}"
        try:
            value = problem.evaluate(params)
        except Exception as e:
            raise RuntimeError(f"trial {trial['id']}: evaluating {params} failed: {e!r}")
        if pause:
            time.sleep(pause)
        return {METRIC: value}, (value, trial.get("origin"), json.dumps(params, sort_keys=True), outside)

    driven = run_clients(endpoint, token, sweep_id, name, evals, batch, evaluate, ask_timeout)
    values = [r[0] for r in driven["records"]]
    origins = [r[1] for r in driven["records"]]
    params_seen = [r[2] for r in driven["records"]]
    outside = [r[3] for r in driven["records"] if r[3] is not None]
    latencies, errors, wall = driven["ask_s"], driven["errors"], driven["wall_s"]
    problems_seen: List[str] = []
    after = main.metrics().get(FALLBACK_SERIES, 0.0)
    sweep = main.sweep(sweep_id)
    main.close()
    if not errors and (sweep["state"] != "completed" or sweep["counters"]["completed"] != evals):
        problems_seen.append(f"sweep {sweep_id} ended {sweep['state']} with counters {sweep['counters']}")
    sources: Dict[str, int] = {}
    for o in origins:
        if o is not None:
            sources[o.get("source", "?")] = sources.get(o.get("source", "?"), 0) + 1
    has_origin = any(o is not None for o in origins)
    return {"values": values, "ask_s": latencies, "wall_s": wall, "sweep_id": sweep_id,
            "origins": sources, "fallbacks": sources.get("fallback", 0) if has_origin else int(after - before),
            "fallbacks_from": "origin" if has_origin else "metrics",
            "empty_asks": driven["empty_asks"], "duplicates": len(params_seen) - len(set(params_seen)),
            "params": params_seen,  # served parameters, in completion order (runs-out only)
            "outside": outside, "errors": errors + problems_seen}


# --- One Optuna run, in process ----------------------------------------------------

def optuna_run(problem: bo_problems.Problem, method: str, batch: int, seed: int, evals: int) -> Dict:
    """shared/anchors/optuna_baseline.py's loop: ask `batch`, tell `batch`."""
    import optuna
    if method == "optuna_tpe":
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=batch > 1)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
    study = optuna.create_study(sampler=sampler)
    values, latencies = [], []
    start = time.perf_counter()
    while len(values) < evals:
        asked = []
        for _ in range(min(batch, evals - len(values))):
            t0 = time.perf_counter()
            trial = study.ask()
            params = problem.suggest_optuna(trial)
            latencies.append(time.perf_counter() - t0)
            asked.append((trial, params))
        for trial, params in asked:
            value = problem.evaluate(params)
            study.tell(trial, value)
            values.append(value)
    return {"values": values, "ask_s": latencies, "wall_s": time.perf_counter() - start,
            "fallbacks": 0, "empty_asks": 0, "duplicates": 0, "errors": []}


def optuna_phase(args) -> None:
    """Child process: every Optuna run of phase 1, one JSON line per run."""
    import optuna
    import warnings
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")  # multivariate/constant_liar ExperimentalWarning
    # Seed by seed, as the hpsweep runs: a run cut short has every problem.
    with open(args.optuna_out, "w") as out:
        for seed in seed_range(args):
            for pname in args.problems:
                for method in [m for m in args.methods if m in OPTUNA_METHODS]:
                    for batch in args.batches:
                        r = optuna_run(bo_problems.PROBLEMS[pname], method, batch, seed, args.evals)
                        r["key"] = run_key(pname, method, batch, seed, 0)
                        out.write(json.dumps(r) + "\n")
                        out.flush()


# --- Latency phase -----------------------------------------------------------------

def latency_phase(endpoint: str, token: str, observations: int, asks: int, ask_timeout: float) -> Dict:
    """A bayes sweep whose initial design covers `observations` trials (no model
    fit), completed at once; then `asks` asks, each completed at once, are
    timed: each is a model suggestion fitted on ~`observations` points."""
    problem = bo_problems.PROBLEMS["hartmann6"]
    conn = Connection(endpoint, token, timeout_s=ask_timeout)
    spec = {"name": f"bench-latency-{observations}", "metric": {"name": METRIC, "goal": "minimize"},
            "method": "bayes", "parameters": problem.sweep_parameters(),
            "max_trials": observations + asks, "seed": 0, "program": {"external": True},
            "method_options": {"n_initial": observations}}
    before = conn.metrics().get(FALLBACK_SERIES, 0.0)
    sweep_id = conn.create_sweep(spec)["id"]
    client_id = f"bench-latency-{observations}"
    timed, sources = [], {}
    fill_start = time.perf_counter()
    for i in range(observations + asks):
        if i == observations:
            fill_s = time.perf_counter() - fill_start
        answer, seconds = conn.ask(sweep_id, client_id)
        if not answer["trials"]:
            raise RuntimeError(f"latency phase: ask {i} of sweep {sweep_id} answered no trial: {answer}")
        trial = answer["trials"][0]["trial"]
        if i >= observations:
            timed.append(seconds)
            origin = trial.get("origin")
            if origin is not None:
                sources[origin.get("source", "?")] = sources.get(origin.get("source", "?"), 0) + 1
        conn.complete(trial["id"], client_id, {METRIC: problem.evaluate(trial["params"])})
    after = conn.metrics().get(FALLBACK_SERIES, 0.0)
    conn.close()
    return {"observations": observations, "asks": asks, "p50_s": percentile(timed, 50),
            "p90_s": percentile(timed, 90), "max_s": max(timed), "ask_s": timed,
            "fill_s_per_trial": fill_s / observations, "origins": sources,
            "fallbacks_metrics_delta": int(after - before)}


# --- Figures -------------------------------------------------------------------------

def figures(args, runs: Dict[str, Dict]) -> Dict:
    """Regrets, ratios and latencies from every run's completed values."""
    out = {"settings": {"seeds": args.seeds, "evals": args.evals, "batches": args.batches,
                        "problems": args.problems, "methods": args.methods, "floor": FLOOR},
           "problems": {}, "summary": {}}
    eval_points = sorted({n for n in (50, args.evals) if n <= args.evals})
    for pname in args.problems:
        problem = bo_problems.PROBLEMS[pname]
        mine = {k: r for k, r in runs.items() if k.startswith(pname + "/") and r["values"]}
        if not mine:
            continue
        best_seen = min(min(r["values"]) for r in mine.values())
        fmin = problem.minimum if problem.minimum is not None else best_seen
        # The problem's scale: median regret of a run's first evaluation (a
        # random or space-filling point for every method).
        scale = statistics.median(r["values"][0] - fmin for r in mine.values()) or 1.0
        p = {"optimum": fmin, "optimum_from": "documented" if problem.minimum is not None else "best found",
             "scale": scale, "below_documented_minimum": best_seen < fmin - 1e-6 * abs(scale),
             "settings": {}}
        for batch in args.batches:
            for n in eval_points:
                setting = {}
                for method in args.methods:
                    rs = [r for s in seed_range(args)
                          if (r := runs.get(run_key(pname, method, batch, s, 0))) and len(r["values"]) >= n]
                    if not rs:
                        continue
                    regrets = [max(0.0, min(r["values"][:n]) - fmin) for r in rs]
                    setting[method] = {"median_regret": statistics.median(regrets), "regrets": regrets,
                                       "seeds": len(rs)}
                    if n == args.evals:
                        asks = [x for r in rs for x in r["ask_s"]]
                        setting[method].update({
                            "ask_p50_ms": 1e3 * percentile(asks, 50), "ask_p99_ms": 1e3 * percentile(asks, 99),
                            "fallbacks": sum(r["fallbacks"] for r in rs),
                            "fallbacks_from": rs[0].get("fallbacks_from", "none"),
                            "empty_asks": sum(r["empty_asks"] for r in rs),
                            "duplicates": sum(r["duplicates"] for r in rs),
                            "origins": merge_counts(r.get("origins", {}) for r in rs)})
                ref = setting.get("random", setting.get("optuna_random"))
                for m in setting.values():
                    if ref:
                        m["normalized"] = floor(m["median_regret"], scale) / floor(ref["median_regret"], scale)
                p["settings"][f"b{batch}/n{n}"] = setting
        out["problems"][pname] = p
    for batch in args.batches:
        for n in eval_points:
            key = f"b{batch}/n{n}"
            for ours in ("bayes", "tpe"):
                ratios = {}
                for pname, p in out["problems"].items():
                    s = p["settings"].get(key, {})
                    if ours in s and "optuna_tpe" in s:
                        ratios[pname] = (floor(s[ours]["median_regret"], p["scale"]) /
                                         floor(s["optuna_tpe"]["median_regret"], p["scale"]))
                if ratios:
                    out["summary"][f"{ours}_vs_optuna_tpe/{key}"] = {"geomean": geomean(list(ratios.values())),
                                                                   "per_problem": ratios}
    return out


def served_defects(runs: Dict[str, Dict]) -> List[str]:
    """Fallbacks, empty answers and duplicate suggestions, one line per
    problem/method/batch(/pause) over its seeds."""
    groups: Dict[str, Dict[str, int]] = {}
    for key, r in runs.items():
        group = "/".join(part for part in key.split("/") if not (part[0] == "s" and part[1:].isdigit()))
        g = groups.setdefault(group, {"runs": 0, "trials": 0, "fallbacks": 0, "empty_asks": 0, "duplicates": 0,
                                      "outside": []})
        g["runs"] += 1
        g["trials"] += len(r["values"])
        for field in ("fallbacks", "empty_asks", "duplicates"):
            g[field] += r[field]
        g["outside"] += r.get("outside", [])
    out = []
    for group, g in groups.items():
        seen = [f"{g[f]} {label}" for f, label in (("fallbacks", "fallbacks served"),
                                                   ("empty_asks", "asks answered without a trial"),
                                                   ("duplicates", "duplicate suggestions")) if g[f]]
        if g["outside"]:
            seen.append(f"{len(g['outside'])} suggestions outside the space (first: {g['outside'][0]})")
        if seen:
            out.append(f"{group}: {', '.join(seen)} in {g['trials']} trials ({g['runs']} runs)")
    return out


def floor(regret: float, scale: float) -> float:
    return max(regret, FLOOR * abs(scale))


def merge_counts(dicts) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def pause_figures(args, runs: Dict[str, Dict], fig: Dict) -> Dict:
    """Pausing client vs the instant client on the same seeds and evaluations."""
    out = {}
    n = args.pause_evals
    for pname in args.pause_problems:
        if pname not in fig["problems"]:
            continue
        fmin = fig["problems"][pname]["optimum"]
        for method in args.pause_methods:
            for batch in args.batches:
                row = {}
                for label, pause in (("instant", 0), ("pausing", args.pause)):
                    rs = [r for s in range(args.pause_seeds)
                          if (r := runs.get(run_key(pname, method, batch, s, pause))) and len(r["values"]) >= n]
                    if rs:
                        row[label] = {"median_regret": statistics.median(max(0.0, min(r["values"][:n]) - fmin)
                                                                         for r in rs),
                                      "seeds": len(rs),
                                      # over all of each run's trials (the instant runs have more)
                                      "fallbacks": sum(r["fallbacks"] for r in rs),
                                      "trials": sum(len(r["values"]) for r in rs)}
                out[f"{pname}/{method}/b{batch}"] = row
    return out


def finite(x):
    """`x` with every NaN or infinity replaced by None, so the output is valid JSON."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [finite(v) for v in x]
    return x


def fmt(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def print_report(args, fig: Dict, pause: Dict, latency: List[Dict], defects: List[str], wall: float) -> None:
    cols = [m for m in ("random", "optuna_random", "optuna_tpe", "tpe", "bayes") if m in args.methods]
    for key in sorted({k for p in fig["problems"].values() for k in p["settings"]},
                      key=lambda k: (int(k.split("/")[0][1:]), int(k.split("/")[1][1:]))):
        batch, n = key.split("/")
        print(f"\n== instant client, batch {batch[1:]}, {n[1:]} evaluations, {args.seeds} seeds: "
              "median simple regret (normalized: 0 = optimum, 1 = random's median)")
        print(f"{'problem':18s} " + " ".join(f"{c:>18s}" for c in cols) +
              ("   fallbacks tpe/bayes   ask p50/p99 ms: " + " ".join(cols) if n[1:] == str(args.evals) else ""))
        for pname, p in fig["problems"].items():
            s = p["settings"].get(key, {})
            cells = []
            for c in cols:
                m = s.get(c)
                cells.append(f"{fmt(m['median_regret']) + ' (' + fmt(m.get('normalized')) + ')':>18s}" if m
                             else f"{'-':>18s}")
            line = f"{pname:18s} " + " ".join(cells)
            if n[1:] == str(args.evals):
                fb = "/".join(str(s[m]["fallbacks"]) if m in s else "-" for m in ("tpe", "bayes"))
                lat = " ".join(f"{fmt(s[c]['ask_p50_ms'])}/{fmt(s[c]['ask_p99_ms'])}" if c in s else "-"
                               for c in cols)
                line += f"   {fb:>19s}   {lat}"
            print(line)
    if pause:
        print(f"\n== pausing client ({args.pause:g} s per trial) vs instant client, first {args.pause_evals} "
              f"evaluations, {args.pause_seeds} seeds: median regret [fallbacks served of all the runs' trials]")
        for key, row in pause.items():
            cells = "   ".join(f"{label} {fmt(v['median_regret'])} [{v['fallbacks']} of {v['trials']}]"
                               for label, v in row.items())
            print(f"{key:32s} {cells}")
    if latency:
        print("\n== fresh bayes suggestion latency through HTTP (ask answered, fitted on N observations)")
        for l in latency:
            print(f"N={l['observations']:5d}: ask p50 {1e3 * l['p50_s']:.1f} ms, p90 {1e3 * l['p90_s']:.1f} ms, "
                  f"max {1e3 * l['max_s']:.1f} ms over {l['asks']} asks; origins {l['origins'] or 'not reported'}; "
                  f"fallbacks in the whole sweep (metrics) {l['fallbacks_metrics_delta']} of {l['observations'] + l['asks']}")
    print(f"\n== summary (regrets below {FLOOR:g} x the problem's scale, the median regret of a run's first "
          "evaluation, count as that floor in ratios)")
    for key, v in sorted(fig["summary"].items()):
        print(f"geomean over {len(v['per_problem'])} problems of median regret ratio {key}: {v['geomean']:.3g}")
    for batch in args.batches:
        key = f"bayes_vs_optuna_tpe/b{batch}/n{args.evals}"
        if key in fig["summary"]:
            worse = {p: r for p, r in fig["summary"][key]["per_problem"].items() if r > 1}
            print(f"problems where bayes is worse than Optuna TPE at {args.evals} evaluations, batch {batch}: " +
                  (", ".join(f"{p} ({r:.3g}x)" for p, r in sorted(worse.items())) or "none"))
    served = []
    for m in ("tpe", "bayes"):
        cells = [p["settings"].get(f"b{b}/n{args.evals}", {}).get(m) for p in fig["problems"].values()
                 for b in args.batches]
        cells = [c for c in cells if c]
        if cells:
            served.append(f"{m} {sum(c['fallbacks'] for c in cells)} of {sum(c['seeds'] for c in cells) * args.evals}"
                          f" ({cells[0]['fallbacks_from']})")
    if served:
        print(f"fallbacks served to the instant client: {', '.join(served)}")
    print(f"defects seen by the harness: {len(defects)}")
    for d in defects[:100]:
        print(f"  DEFECT {d}")
    if len(defects) > 100:
        print(f"  ... {len(defects) - 100} more in the JSON object's \"defects\"")
    print(f"wall time {wall / 60:.1f} min")


def save_partial(path: str, runs: Dict[str, Dict], child, defects: List[str], wall: float) -> None:
    """--runs-out while measuring: the runs so far, with the Optuna child's
    finished lines, marked partial (--report-from reads it)."""
    merged = dict(runs)
    if child is not None and os.path.exists(child.path):
        with open(child.path) as f:
            for line in f:
                if line.endswith("\n"):  # the child may be writing the last one
                    r = json.loads(line)
                    merged[r.pop("key")] = r
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(finite({"runs": merged, "latency": [], "errors": defects, "wall_s": wall, "partial": True}), f)
    os.replace(tmp, path)


def run_hpsweep_jobs(args, endpoint: str, token: str, jobs, record, start: float) -> None:
    """Phases 1 and 2: every hpsweep run, one after another (so that /metrics
    deltas belong to one run), with a progress line each on stderr."""
    for i, (pname, method, batch, seed, evals, pause) in enumerate(jobs):
        key = run_key(pname, method, batch, seed, pause)
        try:
            r = hpsweep_run(endpoint, token, bo_problems.PROBLEMS[pname], method, batch, seed, evals, pause,
                            args.ask_timeout)
        except (ApiError, OSError) as e:
            r = {"values": [], "ask_s": [], "fallbacks": 0, "empty_asks": 0, "duplicates": 0,
                 "errors": [f"{type(e).__name__}: {e}"]}
        record(key, r)
        print(f"[{i + 1}/{len(jobs)} {time.perf_counter() - start:6.0f}s] {key}: best {fmt(min(r['values'], default=None))}"
              f" fallbacks {r['fallbacks']} ask p50 {1e3 * percentile(r['ask_s'], 50):.1f} ms"
              + (f" ERRORS {r['errors']}" if r["errors"] else ""), file=sys.stderr, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", help="the running coordinator's data dir (endpoint and token files)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0,
                    help="seeds are first-seed .. first-seed + seeds - 1 (develop on seeds that the "
                         "reported run does not use)")
    ap.add_argument("--evals", type=int, default=100)
    ap.add_argument("--problems", default=",".join(bo_problems.PROBLEMS))
    ap.add_argument("--methods", default=",".join(ALL_METHODS))
    ap.add_argument("--batches", default="1,4")
    ap.add_argument("--pause", type=float, default=0.3, help="seconds the pausing client sleeps per trial")
    ap.add_argument("--pause-problems", default="branin,hartmann6", help="'' skips the pausing phase")
    ap.add_argument("--pause-methods", default="tpe,bayes")
    ap.add_argument("--pause-seeds", type=int, default=5)
    ap.add_argument("--pause-evals", type=int, default=50)
    ap.add_argument("--latency-observations", default="100,1000", help="'' skips the latency phase")
    ap.add_argument("--latency-asks", type=int, default=20)
    ap.add_argument("--ask-timeout", type=float, default=120.0, help="an ask slower than this is a stalled ask")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 seeds, 30 evals, 3 problems")
    ap.add_argument("--json-out", help="also write the final JSON object here")
    ap.add_argument("--runs-out", help="write every run's raw results (values and served parameters in "
                    "completion order, ask latencies); rewritten each minute while measuring, so an "
                    "interrupted run leaves what finished")
    ap.add_argument("--report-from", help="print the report from a --runs-out file instead of measuring "
                                          "(give the same settings flags)")
    ap.add_argument("--optuna-out", help=argparse.SUPPRESS)  # child process: Optuna runs only
    ap.add_argument("--check-args", action="store_true", help=argparse.SUPPRESS)  # validate flags, exit
    if ap.parse_known_args()[0].quick:  # smaller defaults; flags given explicitly still win
        ap.set_defaults(seeds=2, evals=30, problems=",".join(bo_problems.QUICK), pause_problems="branin",
                        pause_seeds=1, pause_evals=20, latency_observations="100", latency_asks=10)
    args = ap.parse_args()
    split = lambda s: [x for x in s.split(",") if x]
    args.problems, args.methods = split(args.problems), split(args.methods)
    args.batches = [int(b) for b in split(args.batches)]
    args.pause_problems, args.pause_methods = split(args.pause_problems), split(args.pause_methods)
    args.latency_observations = [int(n) for n in split(args.latency_observations)]
    for p in args.problems + args.pause_problems:
        if p not in bo_problems.PROBLEMS:
            ap.error(f"--problems: unknown problem {p!r}; known: {', '.join(bo_problems.PROBLEMS)}")
    for m in args.methods + args.pause_methods:
        if m not in ALL_METHODS:
            ap.error(f"--methods: unknown method {m!r}; known: {', '.join(ALL_METHODS)}")
    for m in args.pause_methods:
        if m not in HPSWEEP_METHODS:
            ap.error(f"--pause-methods: {m!r} is not an hpsweep method ({', '.join(HPSWEEP_METHODS)})")
    if args.first_seed < 0:
        ap.error("--first-seed must be >= 0")
    if args.seeds < 1 or args.evals < 1 or any(b < 1 for b in args.batches):
        ap.error("--seeds, --evals and --batches must be positive")
    if args.pause_problems and not 1 <= args.pause_evals <= args.evals:
        ap.error(f"--pause-evals must be in [1, --evals = {args.evals}], found {args.pause_evals}")
    if args.check_args:
        return 0
    if args.optuna_out:
        optuna_phase(args)
        return 0
    if args.report_from:
        with open(args.report_from) as f:
            saved = json.load(f)
        runs, latency, defects, wall = saved["runs"], saved["latency"], saved["errors"], saved["wall_s"]
    else:
        if not args.data_dir:
            ap.error("--data-dir is required (tools/bench/bo_bench.sh passes it)")
        runs, latency, defects, wall = measure(args)
        if args.runs_out:
            with open(args.runs_out, "w") as f:
                json.dump(finite({"runs": runs, "latency": latency, "errors": defects, "wall_s": wall}), f)
    defects = defects + served_defects(runs)
    fig = figures(args, runs)
    for pname, p in fig["problems"].items():
        if p["below_documented_minimum"]:
            defects.append(f"{pname}: a value below the documented minimum {p['optimum']} was observed")
    pause = pause_figures(args, runs, fig)
    print_report(args, fig, pause, latency, defects, wall)
    out = {"figures": fig, "pausing": pause, "latency": latency, "defects": defects, "wall_s": wall}
    text = json.dumps(finite(out), allow_nan=False)
    if args.json_out:
        with open(args.json_out, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


def measure(args):
    """Phases 1-3 against the coordinator in args.data_dir. Returns every run
    by key, the latency figures, the errors seen and the wall time."""
    endpoint = open(os.path.join(args.data_dir, "endpoint")).read().strip()
    token = open(os.path.join(args.data_dir, "token")).read().strip()
    start = time.perf_counter()
    runs: Dict[str, Dict] = {}
    defects: List[str] = []
    child = None
    if any(m in OPTUNA_METHODS for m in args.methods):
        child = OptunaChild(__file__, ["--seeds", str(args.seeds), "--first-seed", str(args.first_seed),
                                       "--evals", str(args.evals),
                                       "--problems", ",".join(args.problems), "--methods", ",".join(args.methods),
                                       "--batches", ",".join(map(str, args.batches)),
                                       "--pause-problems=", "--latency-observations="], "bo_bench_optuna_")

    last_save = [time.perf_counter()]

    def record(key: str, r: Dict) -> None:
        runs[key] = r
        defects.extend(f"{key}: {e}" for e in r["errors"])
        if args.runs_out and time.perf_counter() - last_save[0] > PARTIAL_SAVE_S:
            save_partial(args.runs_out, runs, child, defects, time.perf_counter() - start)
            last_save[0] = time.perf_counter()

    # Seed-major: a run cut short (--runs-out keeps what finished) has every
    # problem, method and batch on its first seeds.
    jobs = [(p, m, b, s, args.evals, 0.0) for s in seed_range(args) for p in args.problems
            for m in args.methods if m in HPSWEEP_METHODS for b in args.batches]
    jobs += [(p, m, b, s, args.pause_evals, args.pause) for p in args.pause_problems for m in args.pause_methods
             for b in args.batches for s in range(args.pause_seeds)]
    try:
        run_hpsweep_jobs(args, endpoint, token, jobs, record, start)
    except BaseException:
        if child is not None:
            child.kill()
        raise
    if child is not None:
        optuna_runs, optuna_defects = child.collect()
        defects.extend(optuna_defects)
        for key, r in optuna_runs.items():
            record(key, r)

    latency = []
    for n in args.latency_observations:
        try:
            l = latency_phase(endpoint, token, n, args.latency_asks, args.ask_timeout)
            latency.append(l)
            if l["fallbacks_metrics_delta"] or l["origins"].get("fallback"):
                defects.append(f"latency N={n}: fallbacks served (metrics delta {l['fallbacks_metrics_delta']}, "
                               f"origins {l['origins']})")
            if l["origins"] and set(l["origins"]) != {"model"}:
                defects.append(f"latency N={n}: the timed asks were not all model suggestions: {l['origins']}")
            print(f"[latency N={n}] p50 {1e3 * l['p50_s']:.1f} ms", file=sys.stderr, flush=True)
        except (ApiError, OSError, RuntimeError) as e:
            defects.append(f"latency N={n}: {type(e).__name__}: {e}")

    return runs, latency, defects, time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
