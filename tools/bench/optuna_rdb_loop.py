"""Anchor loop for coordinator_bench: Optuna 3.1 with RDB storage on SQLite.

The same loop as hpsweep's benchmark: ask, report 3 intermediate values,
tell. Runs on Debian's system python3 (python3-optuna). Prints trials/s and
p50/p99 per-call latency; the last line is a JSON object.
Usage: /usr/bin/python3 optuna_rdb_loop.py [--seconds 5]
"""
import argparse, json, os, tempfile, time
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()
    path = os.path.join(tempfile.mkdtemp(), "optuna.db")
    study = optuna.create_study(storage=f"sqlite:///{path}", sampler=optuna.samplers.RandomSampler(seed=0))
    lat, n = [], 0
    def timed(fn):
        t0 = time.perf_counter(); r = fn(); lat.append(time.perf_counter() - t0); return r
    t_end = time.perf_counter() + a.seconds
    t0 = time.perf_counter()
    while time.perf_counter() < t_end:
        trial = timed(study.ask)
        x = timed(lambda: trial.suggest_float("x", 0.0, 1.0))
        for step in range(3):
            timed(lambda: trial.report(x + 1.0 / (step + 1), step))
        timed(lambda: study.tell(trial, x))
        n += 1
    dt = time.perf_counter() - t0
    lat.sort()
    out = {"trials_per_s": n / dt, "p50_ms": 1000 * lat[len(lat) // 2],
           "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))], "trials": n}
    print(f"optuna RDB (sqlite) clients=1: {out['trials_per_s']:.1f} trials/s "
          f"p50 {out['p50_ms']:.3f} ms p99 {out['p99_ms']:.3f} ms")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
