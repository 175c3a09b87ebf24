"""Anchor for `fno1d` in tools/bench/train_bench.sh: PyTorch DDP (gloo, CPU)
training hpsweep's fno1d architecture in Python, the pattern of
shared/anchors/ddp_baseline.py. The model is stopping_models.Fno1d, the
Python twin the early-stopping benchmark trains (same layers, parameter
names and shapes as models/fno1d.cc; its spectral layer is the truncated DFT
written out as matrix products, as a PyTorch user ports the reference FNO).

  model  grid 64, modes 12, width 32, 4 Fourier layers (lift 2 -> 32,
         project 32 -> 64 -> 1), relative L2 loss, Adam(lr 1e-3)
  data   a fixed random batch of 20 input/target pairs per rank

Usage: python3 fno1d_ddp.py --world 2 --steps 200
Prints "model=fno1d world=W params=P samples_per_s=X" (pairs per second over
all ranks, after 20 warm-up steps; train_bench.sh compares P with hpsweep's
to check that both sides train the same architecture).
"""
import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddp_harness  # noqa: E402
import stopping_models  # noqa: E402

GRID, PER_RANK = 64, 20


def worker(rank, world, steps, q):
    ddp_harness.start_rank(rank, world, 29537)
    net = stopping_models.Fno1d(modes=12, width=32, layers=4)
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = torch.randn(PER_RANK, GRID), torch.randn(PER_RANK, GRID)
    if world > 1:
        net = nn.parallel.DistributedDataParallel(net)

    def step():
        opt.zero_grad(set_to_none=True)
        stopping_models.relative_l2(net(x), y).backward()
        opt.step()

    dt = ddp_harness.timed_steps(step, 20, steps, world)
    if rank == 0:
        q.put((PER_RANK * world * steps / dt, params))
    ddp_harness.end_rank(world)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=int, default=2)
    ap.add_argument("--steps", type=int, default=200)
    a = ap.parse_args()
    sps, params = ddp_harness.run_ranks(worker, a.world, a.world, a.steps)
    print(f"model=fno1d world={a.world} params={params} samples_per_s={sps:.1f}")


if __name__ == "__main__":
    main()
