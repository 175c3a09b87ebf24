"""The early-stopping benchmark's anchor: Optuna 3.1, TPE sampler +
HyperbandPruner, tuning the PyTorch twins of hpsweep's `lstm_freq` / `fno1d`
(stopping_models.py) on the data hpsweep's own generators produce
(export_workload_data), written as an Optuna user writes it: one objective
that reports the validation metric every epoch and asks trial.should_prune().
Several processes share one RDB storage (SQLite), each running
study.optimize.

The search space is read from the same hpsweep sweep file the hpsweep
contenders run (its `parameters`; `program.args` fixes the rest, epochs
included), so both sides search the same space with the same epoch cap.
Every trial trains on the exported data of the sweep (hpsweep's workers seed
a sweep's data from the sweep alone), so both sides see the same samples;
a trial's initial weights and batch order are seeded from its number.

Subcommands (run with Debian's /usr/bin/python3):
  create  --storage URL --study NAME           create the study (before timing)
  run     --sweep FILE --data DIR --storage URL --study NAME --log FILE
          [--seed S] [--max-trials N]                  one worker process
  check-params --data DIR                       the Python twin vs the C++ model
Every process trains with one intra-op thread and one BLAS thread.
"""
import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import optuna  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stopping_models  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
optuna.logging.set_verbosity(optuna.logging.WARNING)


def storage_of(url):
    # SQLite shared by several processes: wait for the lock rather than fail.
    return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 120}})


def suggest(trial, parameters):
    """hpsweep's parameter kinds (proto/sweep_schema.md) as Optuna suggestions."""
    values = {}
    pending = dict(parameters)
    while pending:  # parents before children
        progressed = False
        for name, spec in list(pending.items()):
            cond = spec.get("condition")
            if cond and cond["parent"] in pending:
                continue
            del pending[name]
            progressed = True
            if cond and values.get(cond["parent"]) not in cond["values"]:
                continue
            values[name] = suggest_one(trial, name, spec)
        if not progressed:
            raise ValueError(f"conditions form a cycle among {sorted(pending)}")
    return values


def suggest_one(trial, name, spec):
    if "values" in spec:
        return trial.suggest_categorical(name, spec["values"])
    if "value" in spec:
        return spec["value"]
    lo, hi = spec["min"], spec["max"]
    kind = spec.get("distribution")
    kind = {"log_uniform_values": "log_uniform", "int_log_uniform_values": "int_log_uniform"}.get(kind, kind)
    if kind is None:
        kind = "int_uniform" if isinstance(lo, int) and isinstance(hi, int) else "uniform"
    if kind == "uniform":
        return trial.suggest_float(name, lo, hi)
    if kind == "log_uniform":
        return trial.suggest_float(name, lo, hi, log=True)
    if kind == "int_uniform":
        return trial.suggest_int(name, int(lo), int(hi))
    if kind == "int_log_uniform":
        return trial.suggest_int(name, int(lo), int(hi), log=True)
    raise ValueError(f"parameter {name}: distribution {kind!r} is not handled by the anchor")


def load_data(data_dir):
    """The sweep's data as exported (train_x, train_y, val_x, val_y)."""
    return [np.load(os.path.join(data_dir, f + ".npy")) for f in ("train_x", "train_y", "val_x", "val_y")]


def trial_seed(base, number):
    """A trial's seed for initial weights and batch order (splitmix64)."""
    z = (base * 0x9E3779B97F4A7C15 + number + 0x2545F4914F6CDD1D) & (2**64 - 1)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
    return z ^ (z >> 31)


def cmd_create(a):
    optuna.create_study(storage=storage_of(a.storage), study_name=a.study, direction="minimize",
                        load_if_exists=True)


def cmd_run(a):
    with open(a.sweep) as f:
        sweep = json.load(f)
    with open(os.path.join(a.data, "meta.json")) as f:
        meta = json.load(f)
    model = meta["model"]
    args = dict(sweep["program"].get("args", {}))
    epochs = int(args.get("epochs", meta["hyperparams"]["epochs"]))
    log = open(a.log, "a", buffering=1)
    data = load_data(a.data)

    def objective(trial):
        hp = dict(meta["hyperparams"])
        hp.update(args)
        hp.update(suggest(trial, sweep["parameters"]))
        trainer = stopping_models.Trainer(model, hp, data, trial_seed(meta["sweep_id"], trial.number))
        value = math.inf
        for epoch in range(1, epochs + 1):
            trainer.train_epoch()
            value = trainer.evaluate()
            log.write(json.dumps({"t": time.time(), "trial": trial.number, "step": epoch,
                                  "value": value}) + "\n")
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    # The study exists already when several processes share it (`create`
    # first avoids two processes creating the schema at once).
    study = optuna.create_study(
        study_name=a.study, storage=storage_of(a.storage), direction="minimize", load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=a.seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3))
    callbacks = []
    if a.max_trials:
        callbacks.append(optuna.study.MaxTrialsCallback(a.max_trials, states=None))
    # A trial whose loss goes non-finite fails (as hpsweep's worker fails it); the study goes on.
    study.optimize(objective, callbacks=callbacks, catch=(stopping_models.NonFiniteLoss,))


def cmd_check_params(a):
    """The Python twin against the C++ model: same parameter names, shapes and
    count; loaded with the C++ model's initial parameters, the same output."""
    with open(os.path.join(a.data, "meta.json")) as f:
        meta = json.load(f)
    bad = 0
    for entry in meta["architectures"]:
        d = os.path.join(a.data, entry["dir"])
        model = stopping_models.build_model(meta["model"], entry["config"])
        py = stopping_models.param_count(model)
        state = {f[:-4]: torch.from_numpy(np.load(os.path.join(d, f)))
                 for f in os.listdir(d) if f.endswith(".npy") and f not in ("input.npy", "output.npy")}
        try:
            model.load_state_dict(state, strict=True)
            model.eval()
            with torch.no_grad():
                x = torch.from_numpy(np.load(os.path.join(d, "input.npy")))
                out = model(x)
                out = out[0] if isinstance(out, tuple) else out
            want = torch.from_numpy(np.load(os.path.join(d, "output.npy")))
            diff = (out - want).abs().max().item() / max(1.0, want.abs().max().item())
            same_out = diff < 1e-4
            says = f"output max rel diff {diff:.1e}"
            # The twin must also train: a backward pass with finite gradients.
            model.train()
            out = model(x)
            (out[0] if isinstance(out, tuple) else out).pow(2).mean().backward()
            finite = all(torch.isfinite(p.grad).all().item() for p in model.parameters() if p.grad is not None)
            same_out = same_out and finite
            says += "" if finite else ", non-finite gradients"
        except (RuntimeError, ValueError) as e:
            same_out, says = False, f"cannot load C++ parameters: {str(e).splitlines()[0]}"
        ok = py == entry["params"] and same_out
        bad += not ok
        print(f"  {meta['model']} {entry['config']}: parameters C++ {entry['params']}, Python {py}; "
              f"{says}{'' if ok else '  MISMATCH'}")
    if bad:
        print(f"the Python twin differs from the C++ model in {bad} architecture(s)")
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create")
    c.add_argument("--storage", required=True)
    c.add_argument("--study", required=True)
    r = sub.add_parser("run")
    for flag in ("--sweep", "--data", "--storage", "--study", "--log"):
        r.add_argument(flag, required=True)
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--max-trials", type=int, default=0, help="total over all processes; 0 = no cap")
    p = sub.add_parser("check-params")
    p.add_argument("--data", required=True)
    a = ap.parse_args()
    {"create": cmd_create, "run": cmd_run, "check-params": cmd_check_params}[a.cmd](a)


if __name__ == "__main__":
    main()
