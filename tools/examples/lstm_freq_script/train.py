"""LSTM frequency extraction in plain PyTorch, run by hpsweep as a command program.

A stateful LSTM recovers one component sinusoid (1, 3, 5 or 7 Hz, random
amplitude and phase) from a noisy mix of all four, given the mix and a one-hot
selector of the wanted component. The hidden state is carried across chunks of
`seq_len` steps (truncated BPTT) and reset at the end of each sequence — the
same workload as the zoo's `lstm_freq`, written the way a user would.

Run it by hand:   python3 train.py --lr=0.003 --hidden_size=32
Under hpsweep:    hpsweep run tools/examples/lstm_freq_script.yaml
"""
import argparse
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import hpsweep  # noqa: E402  (tools/python/hpsweep.py; copy it next to your script instead)

SAMPLE_RATE = 50.0
FREQUENCIES = (1.0, 3.0, 5.0, 7.0)


def make_data(mixes, length, noise, seed):
    g = torch.Generator().manual_seed(seed)
    amp = torch.rand(mixes, 4, 1, generator=g) + 0.5
    phase = torch.rand(mixes, 4, 1, generator=g) * 2 * math.pi
    freq = torch.tensor(FREQUENCIES).view(1, 4, 1)
    t = torch.arange(length, dtype=torch.float32).view(1, 1, length) / SAMPLE_RATE
    components = amp * torch.sin(2 * math.pi * freq * t + phase)            # [M, 4, T]
    mix = components.sum(1) + noise * torch.randn(mixes, length, generator=g)  # [M, T]
    mixed = mix.unsqueeze(1).expand(mixes, 4, length).reshape(4 * mixes, length, 1)
    onehot = torch.eye(4).view(1, 4, 1, 4).expand(mixes, 4, length, 4).reshape(4 * mixes, length, 4)
    return torch.cat([mixed, onehot], 2), components.reshape(4 * mixes, length, 1)


class FreqLSTM(nn.Module):
    def __init__(self, hidden_size, num_layers):
        super().__init__()
        self.lstm = nn.LSTM(5, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out), state


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--optimizer", default="adam", choices=["sgd", "adam", "adamw"])
    parser.add_argument("--momentum", type=float, default=0.0)
    parser.add_argument("--hidden_size", type=int, default=32)
    parser.add_argument("--num_layers", type=int, default=1)
    parser.add_argument("--seq_len", type=int, default=50)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--mixes", type=int, default=16)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.1)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    train_x, train_y = make_data(args.mixes, args.length, args.noise, seed=1)
    val_x, val_y = make_data(max(1, args.mixes // 2), args.length, args.noise, seed=2)
    model = FreqLSTM(args.hidden_size, args.num_layers)
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    elif args.optimizer == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)

    # Resume: hpsweep restores the checkpoint folder of a trial that runs again.
    ckpt = os.path.join(hpsweep.checkpoint_dir(), "lstm.pt")
    start = 0
    if hpsweep.restored_step() >= 0 and os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start = state["epoch"] + 1

    val_mse = float("nan")
    for epoch in range(start, args.epochs):
        model.train()
        order = torch.randperm(train_x.shape[0], generator=torch.Generator().manual_seed(epoch))
        for b in range(0, len(order), args.batch_size):
            idx = order[b:b + args.batch_size]
            x, y = train_x[idx], train_y[idx]
            state = None  # carried across chunks of one sequence, reset per sequence
            for c in range(0, x.shape[1], args.seq_len):
                pred, state = model(x[:, c:c + args.seq_len], state)
                loss = nn.functional.mse_loss(pred, y[:, c:c + args.seq_len])
                opt.zero_grad()
                loss.backward()
                opt.step()
                state = tuple(s.detach() for s in state)
        model.eval()
        with torch.no_grad():
            val_mse = nn.functional.mse_loss(model(val_x)[0], val_y).item()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch}, ckpt)
        if hpsweep.report(epoch, val_mse=val_mse):
            return  # pruned or cancelled
    hpsweep.complete(val_mse=val_mse)


if __name__ == "__main__":
    main()
