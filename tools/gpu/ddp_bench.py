"""Anchor for tools/gpu: PyTorch DDP training throughput on hpsweep's zoo models.

The same work as tools/gpu/gpu_train_bench (hpsweep's trainer):
  mlp        Linear 256 -> 1024 -> 1024 -> 10, ReLU, cross-entropy, SGD(lr=0.01,
             momentum=0.9), batch 128 drawn from 4096 fixed samples on the device
  lstm_freq  LSTM(5 -> 128, 2 layers, batch_first) + Linear(128 -> 1), chunks of
             50 steps of 256 sequences x 500 steps with carried state, MSE,
             Adam(1e-3), batch 32 sequences
DDP over NCCL on CUDA (gloo on CPU), world size 1 (one process per GPU; the
lent machine has one GPU). bf16: torch.autocast around the forward pass.
Usage: python3 ddp_bench.py --model mlp [--steps 200] [--warmup 20]
           [--precision fp32|bf16] [--device cuda|cpu]
Prints "model=M device=D precision=P samples_per_s=X step_ms=Y".
"""
import argparse
import os
import socket
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F


class LSTMFreq(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 128, num_layers=2, batch_first=True)
        self.head = nn.Linear(128, 1)

    def forward(self, x, state):
        h, state = self.lstm(x, state)
        return self.head(h), state


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mlp", choices=["mlp", "lstm_freq"])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    dev = torch.device(a.device, 0) if a.device == "cuda" else torch.device("cpu")
    backend = "nccl" if dev.type == "cuda" else "gloo"
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{free_port()}", rank=0, world_size=1)

    if a.model == "mlp":
        net = nn.Sequential(nn.Linear(256, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
        net.to(dev)
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        x = torch.randn(4096, 256, device=dev)
        y = torch.randint(0, 10, (4096,), device=dev)
        batch = 128
    else:
        net = LSTMFreq().to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        x = torch.randn(256, 500, 5, device=dev)
        y = torch.randn(256, 500, 1, device=dev)
        h = torch.zeros(2, 256, 128, device=dev)
        c = torch.zeros(2, 256, 128, device=dev)
        cursor = torch.zeros(256, dtype=torch.long)
        batch = 32
    ddp = nn.parallel.DistributedDataParallel(net, device_ids=[dev.index] if dev.type == "cuda" else None)
    gen = torch.Generator().manual_seed(1)

    def loss_of(idx):
        if a.model == "mlp":
            i = idx.to(dev)
            return F.cross_entropy(ddp(x[i]), y[i])
        # Distinct sequences at their cursors, state carried, like the zoo model.
        q = torch.unique(idx % 256)
        qd = q.to(dev)
        start = cursor[q] * 50
        steps = (start.unsqueeze(1) + torch.arange(50)).to(dev)
        qi = qd.unsqueeze(1).expand(-1, 50)
        pred, (hn, cn) = ddp(x[qi, steps], (h[:, qd], c[:, qd]))
        loss = F.mse_loss(pred, y[qi, steps])
        adv = cursor[q] + 1
        done = adv >= 10
        keep = (~done).float().to(dev).view(1, -1, 1)
        h[:, qd] = hn.detach() * keep
        c[:, qd] = cn.detach() * keep
        cursor[q] = adv.masked_fill(done, 0)
        return loss

    def step():
        idx = torch.randint(0, 4096 if a.model == "mlp" else 2560, (batch,), generator=gen)
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            loss = loss_of(idx)
        loss.backward()
        opt.step()
        return loss

    for _ in range(a.warmup):
        step()
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    sync()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    sync()
    dt = time.perf_counter() - t0
    assert torch.isfinite(loss).item(), "loss is not finite"
    print(f"model={a.model} device={dev} precision={a.precision} torch={torch.__version__} "
          f"batch={batch} step_ms={dt * 1e3 / a.steps:.3f} samples_per_s={batch * a.steps / dt:.1f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
