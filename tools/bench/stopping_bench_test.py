"""The early-stopping benchmark's bookkeeping: sweep files per contender,
best-so-far curves, time to target and the goal's verdict (standard library
only; the runs themselves are not started)."""
import io
import json
import os
import sys
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stopping_bench as b  # noqa: E402

BASE = {"name": "x", "method": "random", "max_trials": 24, "metric": {"name": "val_mse", "goal": "minimize"},
        "parameters": {"lr": {"min": 0.1, "max": 1.0}}, "method_options": {"n_initial": 3},
        "early_terminate": {"type": "median"}, "program": {"model": "lstm_freq", "args": {"epochs": 10}}}


class SweepFor(unittest.TestCase):
    def test_contenders(self):
        r = b.sweep_for(BASE, "random", 50, {})
        self.assertEqual((r["method"], r["max_trials"]), ("random", 50))
        self.assertNotIn("early_terminate", r)
        a = b.sweep_for(BASE, "random+asha", 50, {})
        self.assertEqual(a["early_terminate"], {"type": "asha", "min_iter": 1, "eta": 3, "max_iter": 10})
        ba = b.sweep_for(BASE, "bayes+asha", 50, {})
        self.assertEqual((ba["method"], ba["early_terminate"]["type"]), ("bayes", "asha"))
        self.assertEqual(ba["early_terminate"]["max_iter"], 10)
        h = b.sweep_for(BASE, "bayes+hyperband", 50, {})
        self.assertEqual(h["method"], "bayes")
        self.assertEqual(h["early_terminate"]["type"], "hyperband")
        self.assertEqual(h["early_terminate"]["max_iter"], 10)
        p = b.sweep_for(BASE, "pbt", 50, {"population_size": 4})
        self.assertEqual((p["method"], p["method_options"]), ("pbt", {"population_size": 4}))
        self.assertNotIn("early_terminate", p)
        self.assertEqual(BASE["method"], "random")  # the base is not modified
        self.assertEqual(r["parameters"], BASE["parameters"])

    def test_seed_offsets_the_workload_seed(self):
        # --seed must vary hpsweep's sweeps too, not only Optuna's sampler
        # (a second run "with another seed" repeated hpsweep's random run).
        self.assertEqual(b.sweep_for(dict(BASE, seed=12), "random", 50, {})["seed"], 12)
        self.assertEqual(b.sweep_for(dict(BASE, seed=12), "bayes+hyperband", 50, {}, 3)["seed"], 15)
        self.assertEqual(b.sweep_for(BASE, "random", 50, {}, 2)["seed"], 2)


class PbtDefaults(unittest.TestCase):
    def test_mutations_are_parameters_every_trial_has(self):
        # The coordinator refuses to mutate a conditional parameter or a
        # condition's parent (it is not present in every trial).
        for workload in b.REFERENCE:
            with open(os.path.join(b.ROOT, "tools", "examples", f"{workload}_random.json")) as f:
                params = json.load(f)["parameters"]
            for name in b.DEFAULT_PBT["hyperparam_mutations"]:
                self.assertIn(name, params, workload)
                self.assertNotIn("condition", params[name], workload)
                parents = {p["condition"]["parent"] for p in params.values() if "condition" in p}
                self.assertNotIn(name, parents, workload)


class Curves(unittest.TestCase):
    def test_best_so_far_within_budget(self):
        pts = [(5, 0.5), (1, 0.9), (3, float("nan")), (7, 0.6), (9, 0.2), (12, 0.1)]
        self.assertEqual(b.summarize(pts, 10), [(1, 0.9), (5, 0.5), (9, 0.2)])
        self.assertEqual(b.time_to(b.summarize(pts, 10), 0.5), 5)
        self.assertIsNone(b.time_to(b.summarize(pts, 10), 0.15))


class Judge(unittest.TestCase):
    def out(self, t_hp, end_hp, t_opt, end_opt):
        return {"random": {"available": True, "time_to_target_s": 100.0, "best_end": 0.3},
                "random+asha": {"available": True, "time_to_target_s": t_hp, "best_end": end_hp},
                "pbt": {"available": False, "why": "x"},
                "optuna": {"available": True, "time_to_target_s": t_opt, "best_end": end_opt}}

    def test_verdicts(self):
        g = b.judge(self.out(20.0, 0.1, 70.0, 0.2), 600)
        self.assertEqual((g["met"], g["best_hpsweep"]), (True, "random+asha"))
        self.assertAlmostEqual(g["speedup"], 3.5)
        self.assertFalse(b.judge(self.out(20.0, 0.1, 50.0, 0.2), 600)["met"])   # 2.5x
        self.assertFalse(b.judge(self.out(20.0, 0.3, 70.0, 0.2), 600)["met"])   # ends higher
        self.assertTrue(b.judge(self.out(20.0, 0.1, None, 0.4), 600)["met"])    # > 30x
        self.assertIsNone(b.judge(self.out(50.0, 0.1, None, 0.4), 100)["met"])  # > 2x only
        # One contender must meet both halves: random+asha is soonest but
        # ends higher; pbt is 3.5x sooner and ends lower.
        both = self.out(5.0, 0.3, 70.0, 0.2)
        both["pbt"] = {"available": True, "time_to_target_s": 20.0, "best_end": 0.1}
        g = b.judge(both, 600)
        self.assertEqual((g["met"], g["best_hpsweep"]), (True, "pbt"))
        self.assertEqual(g["per_contender"], {"random": False, "random+asha": False, "pbt": True})
        both["pbt"]["best_end"] = 0.25
        self.assertFalse(b.judge(both, 600)["met"])  # each meets one half only
        del_opt = self.out(20.0, 0.1, 70.0, 0.2)
        del del_opt["optuna"]
        self.assertIsNone(b.judge(del_opt, 600)["met"])


class Repeats(unittest.TestCase):
    def rep(self, random_end, hp_curve, opt_curve):
        def run(curve):
            return {"available": True, "curve": curve, "best_end": curve[-1][1]}
        return {"target": random_end,
                "contenders": {"random": run([(50.0, random_end)]), "bayes+hyperband": run(hp_curve),
                               "optuna": run(opt_curve)}}

    def test_median_counts_never_reached_as_infinite(self):
        self.assertEqual(b.median_or_none([3.0, None, 1.0]), 3.0)
        self.assertIsNone(b.median_or_none([None, None, 1.0]))
        self.assertEqual(b.median_or_none([2.0, 4.0]), 3.0)
        self.assertIsNone(b.median_or_none([2.0, None]))

    def test_one_target_and_medians_over_repeats(self):
        a = mock.Mock(seed=0, budget_s=300.0)
        reps = [self.rep(0.30, [(10.0, 0.28), (40.0, 0.2)], [(90.0, 0.29), (200.0, 0.25)]),
                self.rep(0.20, [(30.0, 0.24), (60.0, 0.22)], [(100.0, 0.21)]),
                self.rep(0.26, [(20.0, 0.25), (99.0, 0.1)], [(80.0, 0.26), (150.0, 0.22)])]
        with mock.patch("sys.stdout", new_callable=io.StringIO):
            g = b.aggregate(a, "w", reps)
        self.assertEqual(g["target"], 0.26)  # median of random's ends
        hp = g["contenders"]["bayes+hyperband"]
        self.assertEqual(hp["times"], [40.0, 30.0, 20.0])  # against 0.26 in every repeat
        self.assertEqual((hp["time_to_target_s"], hp["best_end"]), (30.0, 0.2))
        opt = g["contenders"]["optuna"]
        self.assertEqual(opt["times"], [200.0, 100.0, 80.0])
        self.assertEqual((opt["time_to_target_s"], opt["best_end"]), (100.0, 0.22))
        self.assertTrue(g["goal"]["met"])  # 3.33x sooner, 0.2 < 0.22
        self.assertEqual(g["goal"]["best_hpsweep"], "bayes+hyperband")


class Flags(unittest.TestCase):
    def refused(self, *flags):
        argv = ["stopping_bench.py", "--hpsweep", "x", "--export", "x", *flags]
        with mock.patch.object(sys, "argv", argv), mock.patch("sys.stderr", new_callable=io.StringIO) as err:
            with self.assertRaises(SystemExit) as e:
                b.main()
        self.assertEqual(e.exception.code, 2)
        return err.getvalue()

    def test_bad_flags_name_the_flag(self):
        self.assertIn("--budget-s", self.refused("--budget-s", "0"))
        self.assertIn("--max-trials", self.refused("--max-trials", "0"))
        self.assertIn("--workers", self.refused("--workers", "-1"))
        self.assertIn("--repeats", self.refused("--repeats", "0"))
        self.assertIn("--pbt-options: not JSON", self.refused("--pbt-options", "{population"))
        self.assertIn("--pbt-options: expected a JSON object", self.refused("--pbt-options", "[1]"))


if __name__ == "__main__":
    unittest.main()
