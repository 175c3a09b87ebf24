#!/usr/bin/python3
"""Export a PyTorch model and its data for hpsweep's `torchscript` workload.

Run with Debian's system python (it has torch 1.13 and numpy):

    /usr/bin/python3 models/examples/export_torchscript.py --out models/testdata

It writes, into --out:
  tiny_regressor.pt    TorchScript module: 4 features -> 1 output (MSE)
  regression.npy       float32 [rows, 5]: 4 feature columns, then the target
  regression.csv       the same table as CSV with a header line
  tiny_classifier.pt   TorchScript module: 4 features -> 3 logits (cross-entropy)
  tiny_regressor_metrics.pt  the regressor with its own metrics(output, target)
                       method: val_mae and val_max_abs_err besides val_loss
  bad_metrics_not_a_dict.pt, bad_metrics_not_scalar.pt  test fixtures whose
                       metrics() answers the wrong type (pre-flight refuses them)
  classification.csv   [rows, 5]: 4 feature columns, then the class index 0..2

Contract hpsweep relies on (see models/README.md, "torchscript"):
  * the module's forward takes one float32 tensor [batch, features] and
    returns [batch, outputs] (for cross_entropy: logits [batch, classes]);
  * every trainable tensor is a parameter of the scripted module
    (torch.jit.script or torch.jit.trace, then .save());
  * data files hold one 2-D table, features first and the
    `target_columns` targets last; .npy must be C-ordered float32/float64/
    int32/int64 (numpy.save writes exactly that); .csv is comma-separated
    numbers with an optional header line.
"""
import argparse
import os

from typing import Dict

import numpy as np
import torch
from torch import nn


class TinyRegressor(nn.Module):
    def __init__(self, features: int = 4, hidden: int = 16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TinyClassifier(nn.Module):
    def __init__(self, features: int = 4, hidden: int = 16, classes: int = 3):
        super().__init__()
        self.hidden = nn.Linear(features, hidden)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(x)))


class TinyRegressorWithMetrics(TinyRegressor):
    """A module may add metrics: hpsweep calls metrics(output, target) on the
    validation set and reports every entry; the sweep metric may be any."""

    @torch.jit.export
    def metrics(self, output: torch.Tensor, target: torch.Tensor) -> Dict[str, torch.Tensor]:
        err = (output - target).abs()
        return {"val_mae": err.mean(), "val_max_abs_err": err.max()}


class TinyRegressorMetricsNotADict(TinyRegressor):
    """Test fixture: metrics() returns a bare tensor, not a dict; pre-flight
    must refuse it naming the module and the method."""

    @torch.jit.export
    def metrics(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (output - target).abs().mean()


class TinyRegressorMetricsNotScalar(TinyRegressor):
    """Test fixture: metrics() returns a dict whose value is one number per
    row, not one number."""

    @torch.jit.export
    def metrics(self, output: torch.Tensor, target: torch.Tensor) -> Dict[str, torch.Tensor]:
        return {"val_abs_err": (output - target).abs()}


def make_table(rng: np.random.Generator, rows: int):
    x = rng.standard_normal((rows, 4)).astype(np.float32)
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] - 0.5 * x[:, 2] * x[:, 3]
    y = y + 0.05 * rng.standard_normal(rows)
    return x, y.astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="models/testdata")
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    torch.jit.script(TinyRegressor()).save(os.path.join(args.out, "tiny_regressor.pt"))
    x, y = make_table(rng, args.rows)
    table = np.concatenate([x, y[:, None]], axis=1)
    np.save(os.path.join(args.out, "regression.npy"), table)
    np.savetxt(os.path.join(args.out, "regression.csv"), table, delimiter=",", fmt="%.6g",
               header="x0,x1,x2,x3,y", comments="")

    torch.jit.script(TinyClassifier()).save(os.path.join(args.out, "tiny_classifier.pt"))
    x, y = make_table(rng, args.rows)
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))  # 3 balanced classes
    table = np.concatenate([x, labels[:, None].astype(np.float32)], axis=1)
    np.savetxt(os.path.join(args.out, "classification.csv"), table, delimiter=",", fmt="%.6g",
               header="x0,x1,x2,x3,label", comments="")

    torch.jit.script(TinyRegressorWithMetrics()).save(
        os.path.join(args.out, "tiny_regressor_metrics.pt"))
    torch.jit.script(TinyRegressorMetricsNotADict()).save(
        os.path.join(args.out, "bad_metrics_not_a_dict.pt"))
    torch.jit.script(TinyRegressorMetricsNotScalar()).save(
        os.path.join(args.out, "bad_metrics_not_scalar.pt"))


if __name__ == "__main__":
    main()
