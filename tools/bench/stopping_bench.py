"""Early stopping, measured as time to a good model (issue 13's benchmark).

For each workload (lstm_freq, fno1d: the seed workloads, with the search
space, data size and epoch cap of tools/examples/<workload>_random.json),
every contender gets the same wall-clock budget on this machine, with two
local workers of one rank each and one BLAS / intra-op thread per process:

  hpsweep random            `hpsweep run`, method random, no stopping
  hpsweep random+asha       random, early_terminate asha (min_iter 1, eta 3)
  hpsweep bayes+asha        bayes, early_terminate asha (min_iter 1, eta 3)
  hpsweep bayes+hyperband   bayes, early_terminate hyperband (min_iter 1, eta 3)
  hpsweep pbt               method pbt (when the build has it)
  optuna tpe+hyperband      the anchor: Optuna 3.1, TPESampler + HyperbandPruner,
                            2 processes sharing one SQLite storage, the same
                            model in PyTorch on the same data (stopping_optuna.py)

The clock starts when the contender's processes are launched (startup,
data generation or loading included) and every validation value reported
within the budget counts, pruned trials' included. The target of a
workload is the best value `hpsweep random` reached by the end of its
budget; each contender's time to the target and best value at the end are
printed, then whether hpsweep's best contender met the goal (one contender
must meet both halves: see judge). The last line
is one JSON object. Run through stopping_bench.sh.
"""
import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
HPSWEEP_CONTENDERS = ["random", "random+asha", "bayes+asha", "bayes+hyperband", "pbt"]
ALL_CONTENDERS = HPSWEEP_CONTENDERS + ["optuna"]
LABEL = {c: "hpsweep " + c for c in HPSWEEP_CONTENDERS}
LABEL["optuna"] = "optuna tpe+hyperband"
GOAL = ("goal: hpsweep's best configuration reaches the target >= 3x sooner than "
        "Optuna TPE+Hyperband and ends with a lower loss")
# Data-only metric each zoo model reports beside its objective (export_workload_data).
REFERENCE = {"lstm_freq": "val_baseline_mse", "fno1d": "val_identity_rel_l2"}
# PBT explores the learning rate: the one numeric parameter both workloads'
# sweeps always have that a child can change on its parent's weights
# (architecture sizes cannot change under a checkpoint; momentum is present
# only with sgd, and PBT mutates only parameters every trial has).
DEFAULT_PBT = {"population_size": 8, "perturbation_interval": 2, "quantile_fraction": 0.25,
               "resample_probability": 0.25, "hyperparam_mutations": ["lr"]}


def log(msg):
    print(msg, flush=True)


def sweep_for(base, contender, max_trials, pbt_options, seed=0):
    """The sweep file of one hpsweep contender; `seed` (--seed) is added to
    the workload's own sweep seed, so that --seed varies both sides."""
    s = json.loads(json.dumps(base))
    epochs = int(s["program"]["args"]["epochs"])
    s["name"] = f"{s['program']['model']}-stopbench-{contender.replace('+', '-')}"
    s["max_trials"] = max_trials
    s["seed"] = int(s.get("seed", 0)) + seed
    s.pop("early_terminate", None)
    s.pop("method_options", None)
    if contender == "random":
        s["method"] = "random"
    elif contender == "random+asha":
        s["method"] = "random"
        s["early_terminate"] = {"type": "asha", "min_iter": 1, "eta": 3, "max_iter": epochs}
    elif contender in ("bayes+asha", "bayes+hyperband"):
        s["method"] = "bayes"
        s["method_options"] = {"n_initial": 8}
        s["early_terminate"] = {"type": contender.split("+")[1], "min_iter": 1, "eta": 3, "max_iter": epochs}
    elif contender == "pbt":
        s["method"] = "pbt"
        s["method_options"] = pbt_options
    return s


def descendants(pid):
    """Process ids below `pid` (hpsweep run puts its worker jobs in their own groups)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def stop_process(proc, first_signal, grace_s):
    """Sends first_signal, then again, then SIGKILL to it and everything it started,
    so no contender's processes outlive its budget."""
    for sig, wait in ((first_signal, grace_s), (first_signal, grace_s / 2)):
        if proc.poll() is not None:
            return
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            pass
    for pid in descendants(proc.pid) + [proc.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def run_hpsweep(a, workload, contender, base, wdir, export_dir, meta):
    cdir = os.path.join(wdir, contender.replace("+", "_"))
    shutil.rmtree(cdir, ignore_errors=True)
    os.makedirs(cdir)
    sweep_path = os.path.join(cdir, "sweep.json")
    with open(sweep_path, "w") as f:
        json.dump(sweep_for(base, contender, a.max_trials, a.pbt_options, a.seed), f, indent=1)
    data_dir = os.path.join(cdir, "data")
    out = open(os.path.join(cdir, "run.log"), "w")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    t0 = time.time()
    proc = subprocess.Popen([a.hpsweep, "run", sweep_path, "--workers", str(a.workers),
                             "--ranks-per-worker", "1", "--data-dir", data_dir],
                            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    ended_s = None
    try:
        proc.wait(a.budget_s)
        ended_s = time.time() - t0
    except subprocess.TimeoutExpired:
        stop_process(proc, signal.SIGINT, 60)
    out.close()
    with open(os.path.join(cdir, "run.log")) as f:
        text = f.read()
    rc = proc.returncode
    if rc in (1, 2) and time.time() - t0 < a.budget_s and "hpsweep run:" in text:
        # Rejected before training (a bad sweep file, or a method this build lacks).
        first = next(l for l in text.splitlines() if "hpsweep run:" in l)
        missing = contender == "pbt" and "/method" in first and '"pbt"' in first
        return {"available": False, "missing": missing, "why": first.strip()[:300]}
    exp = subprocess.run([a.hpsweep, "export", "1", "--format", "json", "--data-dir", data_dir],
                         capture_output=True, text=True)
    if exp.returncode != 0:
        return {"available": False, "why": f"hpsweep run exited {rc}; export: {exp.stderr.strip()[:200]}"}
    trials = json.loads(exp.stdout)
    metric, ref = meta["metric"], REFERENCE[workload]
    points, ref_diffs = [], []
    with open(os.path.join(export_dir, "info.json")) as f:
        want = json.load(f)["reference"]["value"]
    for t in trials:
        for p in t.get("metrics", []):
            v = p.get("values", {})
            if metric in v:
                points.append((p["time_us"] / 1e6 - t0, v[metric]))
            if ref in v:
                ref_diffs.append(abs(v[ref] - want) / max(abs(want), 1e-12))
    states = {}
    for t in trials:
        states[t["state"]] = states.get(t["state"], 0) + 1
    return {"available": True, "points": points, "trials": len(trials), "states": states,
            "ref_checked": len(ref_diffs), "ref_max_rel_diff": max(ref_diffs) if ref_diffs else None,
            "exit": rc, "ended_s": ended_s}


def run_optuna(a, workload, base, wdir, data_dir):
    cdir = os.path.join(wdir, "optuna")
    shutil.rmtree(cdir, ignore_errors=True)
    os.makedirs(cdir)
    sweep_path = os.path.join(cdir, "sweep.json")
    with open(sweep_path, "w") as f:
        json.dump(base, f, indent=1)
    storage = f"sqlite:///{os.path.join(cdir, 'optuna.db')}"
    script = os.path.join(HERE, "stopping_optuna.py")
    subprocess.run([a.python, script, "create", "--storage", storage, "--study", workload], check=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    logs = [os.path.join(cdir, f"proc{i}.jsonl") for i in range(a.workers)]
    t0 = time.time()
    procs = [subprocess.Popen([a.python, script, "run", "--sweep", sweep_path, "--data", data_dir,
                               "--storage", storage, "--study", workload, "--log", logs[i],
                               "--seed", str(1000 * a.seed + i), "--max-trials", str(a.max_trials)],
                              stdout=open(os.path.join(cdir, f"proc{i}.out"), "w"),
                              stderr=subprocess.STDOUT, env=env, start_new_session=True)
             for i in range(a.workers)]
    deadline = t0 + a.budget_s
    for p in procs:
        try:
            p.wait(max(0.0, deadline - time.time()))
        except subprocess.TimeoutExpired:
            pass
    ended_s = time.time() - t0 if all(p.poll() is not None for p in procs) else None
    for p in procs:
        stop_process(p, signal.SIGTERM, 10)
    points = []
    for path in logs:
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    r = json.loads(line)
                    points.append((r["t"] - t0, r["value"]))
    import optuna
    study = optuna.load_study(study_name=workload, storage=storage)
    states = {}
    for t in study.get_trials(deepcopy=False):
        name = {"COMPLETE": "completed", "PRUNED": "pruned", "FAIL": "failed"}.get(t.state.name, "unfinished")
        states[name] = states.get(name, 0) + 1
    return {"available": True, "points": points, "trials": len(study.trials), "states": states,
            "exit": [p.returncode for p in procs], "ended_s": ended_s}


def summarize(points, budget_s):
    """Best-so-far curve (t, best) over the budget."""
    curve, best = [], float("inf")
    for t, v in sorted(points):
        if t > budget_s:
            break
        if v == v and v < best:  # NaN never counts
            best = v
            curve.append((round(t, 2), best))
    return curve


def time_to(curve, target):
    return next((t for t, b in curve if b <= target), None)


def report(a, workload, meta, results, param_lines, data_note):
    log(f"\n== {workload}: metric {meta['metric']} (minimize), budget {a.budget_s:g} s per contender, "
        f"{a.workers} workers x 1 rank, 1 BLAS + 1 intra-op thread per process")
    for line in param_lines:
        log(line)
    log(data_note)
    curves = {c: summarize(r["points"], a.budget_s) for c, r in results.items() if r["available"]}
    base = curves.get("random")
    target = base[-1][1] if base else None
    log(f"target (best of hpsweep random at the end of its budget): "
        f"{'n/a' if target is None else f'{target:.6g}'}")
    checkpoints = [a.budget_s * f for f in (0.1, 0.25, 0.5, 0.75, 1.0)]
    log(f"{'contender':<26}{'trials':>8}{'pruned':>8}{'time to target':>16}{'best at end':>14}   "
        f"best so far at {', '.join(f'{t:g}' for t in checkpoints)} s")
    out = {}
    for c, r in results.items():
        if not r["available"]:
            log(f"{LABEL[c]:<26}" + ("pbt: not available in this build" if r.get("missing")
                                      else f"failed: {r['why']}"))
            out[c] = {"available": False, "why": r["why"]}
            continue
        curve = curves[c]
        tt = time_to(curve, target) if target is not None else None
        end = curve[-1][1] if curve else None
        at = [next((b for t, b in reversed(curve) if t <= x), None) for x in checkpoints]
        log(f"{LABEL[c]:<26}{r['trials']:>8}{r['states'].get('pruned', 0):>8}"
            f"{'not reached' if tt is None else f'{tt:.1f} s':>16}{'-' if end is None else f'{end:.6g}':>14}   "
            + ", ".join("-" if v is None else f"{v:.4g}" for v in at))
        out[c] = {"available": True, "trials": r["trials"], "states": r["states"], "time_to_target_s": tt,
                  "best_end": end, "curve": curve, "ended_s": r.get("ended_s")}
        if "ref_checked" in r:
            out[c]["data_check"] = {"evaluations": r["ref_checked"], "max_rel_diff": r["ref_max_rel_diff"]}
    for c, r in out.items():
        if r.get("ended_s") is not None and r["ended_s"] < a.budget_s - 1:
            # Every trial done (--max-trials), or a PBT population trained to
            # its end: the rest of the budget went unused.
            log(f"note: {LABEL[c]} ended on its own at {r['ended_s']:.0f} s of its {a.budget_s:g} s budget "
                f"({r['trials']} trials; --max-trials {a.max_trials})")
    goal = judge(out, a.budget_s)
    log(goal["line"])
    return {"target": target, "contenders": out, "goal": goal}


def judge(out, budget_s):
    """MET / NOT MET / UNDETERMINED for hpsweep's best contender. The goal
    holds one configuration to both halves: each hpsweep contender that
    reached the target is judged on its own (>= 3x sooner than Optuna and a
    lower loss at the end); MET if one meets both, UNDETERMINED if none does
    but one might with a longer budget (Optuna never reached the target and
    the budget is too short for that alone to show a 3x lead), else NOT MET.
    The contender reported is the first met, else undetermined, else not met,
    then the soonest to the target."""
    hp = {c: r for c, r in out.items() if c != "optuna" and r.get("available") and r["time_to_target_s"] is not None}
    opt = out.get("optuna", {})
    if not hp or not opt.get("available"):
        return {"met": None, "line": GOAL + ": cannot judge (a side is missing)"}
    to, eo = opt.get("time_to_target_s"), opt.get("best_end")
    verdicts = {}
    for c, r in hp.items():
        tb, eb = r["time_to_target_s"], r["best_end"]
        lower = eo is None or eb < eo
        if to is None:
            # Optuna's time is only known to exceed the budget.
            speed = budget_s / max(tb, 1e-9)
            sooner = True if speed >= 3.0 else None
            says = (f"Optuna did not reach the target within {budget_s:g} s; hpsweep {c} reached it in "
                    f"{tb:.1f} s (> {speed:.2f}x sooner)")
        else:
            speed = to / max(tb, 1e-9)
            sooner = speed >= 3.0
            says = f"hpsweep {c} {speed:.2f}x sooner ({tb:.1f} s vs {to:.1f} s)"
        met = (sooner and lower) if sooner is not None else (None if lower else False)
        says += f", ends at {eb:.6g} vs Optuna's {'-' if eo is None else f'{eo:.6g}'}"
        verdicts[c] = {"met": met, "speedup": speed, "line": says}
    rank = {True: 0, None: 1, False: 2}
    best = min(verdicts, key=lambda c: (rank[verdicts[c]["met"]], hp[c]["time_to_target_s"], hp[c]["best_end"]))
    v = verdicts[best]
    word = {True: "MET", False: "NOT MET", None: "UNDETERMINED (longer budget needed)"}
    others = "; ".join(f"{c}: {word[verdicts[c]['met']]}" for c in verdicts if c != best)
    return {"met": v["met"], "best_hpsweep": best, "speedup": v["speedup"], "speedup_is_lower_bound": to is None,
            "per_contender": {c: verdicts[c]["met"] for c in verdicts},
            "line": f"{GOAL}: {v['line']} -> {word[v['met']]}" + (f" (others: {others})" if others else "")}


def run_repeat(a, workload, contenders, base, wdir, data_dir, meta, param_lines, label):
    """Every contender once, with seed a.seed, into wdir; prints the table."""
    os.makedirs(wdir, exist_ok=True)
    results = {}
    for c in contenders:
        log(f"{workload}{label}: running {LABEL[c]} for {a.budget_s:g} s ...")
        if c == "optuna":
            results[c] = run_optuna(a, workload, base, wdir, data_dir)
        else:
            results[c] = run_hpsweep(a, workload, c, base, wdir, data_dir, meta)
    checked = [r for r in results.values() if r.get("ref_checked")]
    worst = max((r["ref_max_rel_diff"] for r in checked), default=None)
    data_ok = worst is not None and worst < 1e-4
    data_note = (f"same data on both sides: {REFERENCE[workload]} of "
                 f"{sum(r['ref_checked'] for r in checked)} hpsweep evaluations vs the export, "
                 f"max relative difference {'-' if worst is None else f'{worst:.2g}'}"
                 + ("" if data_ok else "  MISMATCH (or nothing to compare)"))
    s = report(a, workload + label, meta, results, param_lines, data_note)
    s["data_match"] = data_ok
    return s


def median_or_none(values):
    """Median of values where None is +infinity (never reached); None when
    the median itself is infinite."""
    m = statistics.median([math.inf if v is None else v for v in values])
    return None if math.isinf(m) else m


def aggregate(a, workload, repeats):
    """The verdict over repeats: one target for all of them (the median of
    hpsweep random's ends), and per contender the median time to it (a
    repeat that never reached it counts as infinitely late) and the median
    best at the end; the goal is judged on those medians."""
    ends = [r["target"] for r in repeats if r["target"] is not None]
    target = statistics.median(ends) if ends else None
    log(f"\n== {workload}: median over {len(repeats)} repeats (seeds {a.seed}..{a.seed + len(repeats) - 1}), "
        f"target {'n/a' if target is None else f'{target:.6g}'} (median of hpsweep random's ends)")
    log(f"{'contender':<26}{'median time':>13}{'median end':>13}   per repeat: time to target / best at end")
    out = {}
    for c in repeats[0]["contenders"]:
        runs = [r["contenders"].get(c, {}) for r in repeats]
        if not all(run.get("available") for run in runs):
            out[c] = {"available": False, "why": next(run.get("why") for run in runs if not run.get("available"))}
            log(f"{LABEL[c]:<26}not available in every repeat")
            continue
        times = [time_to(run["curve"], target) if target is not None else None for run in runs]
        best = [run["best_end"] for run in runs]
        tm, em = median_or_none(times), median_or_none(best)
        out[c] = {"available": True, "time_to_target_s": tm, "best_end": em, "times": times, "ends": best}
        per = ", ".join(f"{'-' if t is None else f'{t:.0f} s'} / {'-' if e is None else f'{e:.4g}'}"
                        for t, e in zip(times, best))
        log(f"{LABEL[c]:<26}{'not reached' if tm is None else f'{tm:.1f} s':>13}"
            f"{'-' if em is None else f'{em:.6g}':>13}   {per}")
    goal = judge(out, a.budget_s)
    log("over the repeats' medians, " + goal["line"])
    return {"target": target, "contenders": out, "goal": goal}


def prepare_data(a, workload, base, wdir):
    """Exports the sweep's data (every trial of an hpsweep sweep trains on it)
    before any clock starts; checks the Python twin."""
    data_dir = os.path.join(wdir, "data")
    shutil.rmtree(data_dir, ignore_errors=True)
    t = time.time()
    subprocess.run([a.export, "--model", workload, "--args", json.dumps(base["program"]["args"]),
                    "--sweep-id", "1", "--out", data_dir], stdout=subprocess.DEVNULL, check=True)
    with open(os.path.join(data_dir, "meta.json")) as f:
        meta = json.load(f)
    chk = subprocess.run([a.python, os.path.join(HERE, "stopping_optuna.py"), "check-params", "--data", data_dir],
                         capture_output=True, text=True)
    lines = ["the Python twin vs the C++ model (C++ initial parameters loaded by name):"]
    lines += chk.stdout.rstrip().splitlines()
    if chk.returncode != 0 and chk.stderr.strip():
        lines.append("check-params failed: " + chk.stderr.strip()[-300:])
    log(f"{workload}: exported the sweep's data in {time.time() - t:.1f} s")
    return data_dir, meta, lines, chk.returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget-s", type=float, default=600.0, help="wall clock per contender (default 600)")
    ap.add_argument("--workloads", default="lstm_freq,fno1d")
    ap.add_argument("--contenders", default=",".join(ALL_CONTENDERS))
    ap.add_argument("--max-trials", type=int, default=100000,
                    help="trial cap per contender (default 100000: the budget, not the cap, ends a contender; "
                         "with 500, random+asha on lstm_freq did every trial in 134 of its 600 s)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0,
                    help="seed offset: added to the workload's sweep seed for every hpsweep contender, "
                         "and the base of Optuna's sampler seeds (default 0)")
    ap.add_argument("--pbt-options", default=json.dumps(DEFAULT_PBT),
                    help="method_options of the pbt sweep (JSON)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs of every contender, with seeds --seed, --seed + 1, ...; with more than one, "
                         "the goal is judged on medians against one target (default 1)")
    ap.add_argument("--out", default="/tmp/hpsweep-stopbench")
    ap.add_argument("--hpsweep", required=True)
    ap.add_argument("--export", required=True)
    ap.add_argument("--python", default="/usr/bin/python3")
    a = ap.parse_args()
    if not a.budget_s > 0:
        ap.error(f"--budget-s must be > 0 seconds, found {a.budget_s:g}")
    if a.repeats < 1:
        ap.error(f"--repeats must be >= 1, found {a.repeats}")
    if a.max_trials < 1 or a.workers < 1:
        ap.error(f"--max-trials and --workers must be >= 1, found {a.max_trials} and {a.workers}")
    try:
        a.pbt_options = json.loads(a.pbt_options)
    except ValueError as e:
        ap.error(f"--pbt-options: not JSON: {e}")
    if not isinstance(a.pbt_options, dict):
        ap.error("--pbt-options: expected a JSON object (the pbt sweep's method_options)")
    contenders = [c for c in a.contenders.split(",") if c]
    for c in contenders:
        if c not in ALL_CONTENDERS:
            sys.exit(f"--contenders: unknown {c!r}; known: {', '.join(ALL_CONTENDERS)}")
    workloads = [w for w in a.workloads.split(",") if w]
    for w in workloads:
        if w not in REFERENCE:
            sys.exit(f"--workloads: unknown {w!r}; known: {', '.join(REFERENCE)}")
    log("figures from a shared 2-core machine are noisy (load average "
        f"{os.getloadavg()[0]:.1f} at start); compare contenders within one run")
    log(GOAL)
    summary = {"budget_s": a.budget_s, "workers": a.workers, "load_avg_start": os.getloadavg()[0],
               "workloads": {}}
    for workload in workloads:
        base_path = os.path.join(ROOT, "tools", "examples", f"{workload}_random.json")
        with open(base_path) as f:
            base = json.load(f)
        wdir = os.path.join(a.out, workload)
        os.makedirs(wdir, exist_ok=True)
        data_dir, meta, param_lines, params_ok = prepare_data(a, workload, base, wdir)
        repeats = []
        for r in range(a.repeats):
            ra = argparse.Namespace(**vars(a))
            ra.seed = a.seed + r
            rdir = wdir if a.repeats == 1 else os.path.join(wdir, f"repeat{r}")
            s = run_repeat(ra, workload, contenders, base, rdir, data_dir, meta, param_lines,
                           f" (repeat {r + 1} of {a.repeats}, --seed {ra.seed})" if a.repeats > 1 else "")
            s["params_match"] = params_ok
            repeats.append(s)
        summary["workloads"][workload] = (repeats[0] if a.repeats == 1 else
                                          {"repeats": repeats, "median": aggregate(a, workload, repeats)})
    summary["load_avg_end"] = os.getloadavg()[0]
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    log(f"curves and logs of every contender: {a.out} (summary.json)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
