"""A small PyTorch regression trained as a command program with the helper.

Parameters: lr, epochs (default 4), sleep (seconds after each epoch, default
0), ignore_sigterm (default false). With MARK_DIR set, it appends one JSON
line per start to MARK_DIR/<trial>.starts (pid, worker pid, first epoch).
"""
import json
import os
import signal
import time

import torch

import hpsweep

p = hpsweep.params()
if p.get("ignore_sigterm"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
torch.set_num_threads(1)
torch.manual_seed(0)
g = torch.Generator().manual_seed(1)
x = torch.randn(256, 4, generator=g)
y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(256, 1, generator=g)
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=float(p["lr"]))
epochs = int(p.get("epochs", 4))

state_path = os.path.join(hpsweep.checkpoint_dir(), "state.pt")
start = 0
if hpsweep.restored_step() >= 0:
    state = torch.load(state_path)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    start = state["epoch"] + 1
    assert state["epoch"] == hpsweep.restored_step(), (state["epoch"], hpsweep.restored_step())

mark = os.environ.get("MARK_DIR")
if mark:
    with open(os.path.join(mark, os.environ["HPSWEEP_TRIAL_ID"] + ".starts"), "a") as f:
        f.write(json.dumps({"pid": os.getpid(), "worker": os.getppid(), "start": start}) + "\n")

val = float("nan")
for epoch in range(start, epochs):
    for i in range(0, 256, 32):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x[i:i + 32]), y[i:i + 32])
        loss.backward()
        opt.step()
    with torch.no_grad():
        val = torch.nn.functional.mse_loss(model(x), y).item()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch}, state_path)
    if hpsweep.report(epoch, val_loss=val, train_loss=loss.item()):
        break
    time.sleep(float(p.get("sleep", 0)))
hpsweep.complete(val_loss=val)
