"""PyTorch twins of hpsweep's zoo models `lstm_freq` and `fno1d`, for the
early-stopping benchmark's Optuna anchor (stopping_optuna.py).

Each mirrors the C++ model, loss, optimizer and validation metric exactly
(models/lstm_freq.cc, models/fno1d.cc, models/training.cc) and trains the way
hpsweep's worker does (worker/trainer.cc, worker/sampler.cc): a fresh
permutation of the training indices each epoch, batches of `batch_size` with
the remainder dropped, zeroed gradients, one optimizer step per batch, a
constant learning rate, evaluation on the whole validation set at each epoch
end. Written as a PyTorch user would write it (nn.LSTM, nn.Linear), with
GELU written out (see gelu) and the FNO's spectral layer as real DFT
products, as the C++ models have them.

- lstm_freq: LSTM(5 -> hidden, num_layers, batch_first) + Linear(hidden -> 1)
  at every step; stateful training on chunks of `seq_len` steps with the
  (h, c) state of each training sequence carried (detached) from chunk to
  chunk and reset at the sequence's end; loss MSE (a sequence drawn twice in
  a batch trains once and weighs twice); metric val_mse, every validation
  sequence run from a zero state.
- fno1d: lift Linear(2 -> width) on (u0, x); `layers` x [spectral conv
  (lowest `modes` Fourier modes times learned complex weights) + pointwise
  Linear(width -> width)], exact GELU between layers (not after the last);
  project Linear(width -> 64), GELU, Linear(64 -> 1). Loss and metric: mean
  relative L2 error (val_rel_l2).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class LstmFreq(nn.Module):
    def __init__(self, hidden_size=128, num_layers=2, input_size=5):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out), state


def gelu(x):
    """GELU written out, as models/training.cc's Gelu. With Debian's
    python3-torch (1.13), F.gelu's backward returned different gradients on
    every run of the same batch in the FNO (finite, huge or inf: 1e-3, 9e6,
    inf for one weight), so Optuna's fno1d trials diverged where hpsweep's did
    not (34 of 82 trials failed on non-finite losses in one 120 s run)."""
    return 0.5 * x * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))


class SpectralConv1d(nn.Module):
    """irfft(W * rfft(x)[:modes], n); W stored as real [in, out, modes, 2],
    computed as the truncated DFT and its inverse in real matrix products:
    the operator and parameters of models/fno1d.cc, written as a PyTorch user
    ports the reference FNO (models/fno1d.cc caches the DFT matrices and
    mixes the modes in one batched product; the results agree to rounding)."""

    def __init__(self, in_channels, out_channels, modes):
        super().__init__()
        self.modes = modes
        scale = 1.0 / (in_channels * out_channels)
        self.weight = nn.Parameter(scale * torch.rand(in_channels, out_channels, modes, 2))

    def forward(self, x):
        n = x.shape[-1]
        angle = torch.outer(torch.arange(n, dtype=x.dtype), torch.arange(self.modes, dtype=x.dtype))
        angle = angle * (2.0 * math.pi / n)
        cos_b, sin_b = torch.cos(angle), torch.sin(angle)  # [N, modes]
        xr, xi = x @ cos_b, -(x @ sin_b)  # rfft(x)[..., :modes]
        wr, wi = self.weight[..., 0], self.weight[..., 1]
        yr = torch.einsum("bim,iom->bom", xr, wr) - torch.einsum("bim,iom->bom", xi, wi)
        yi = torch.einsum("bim,iom->bom", xr, wi) + torch.einsum("bim,iom->bom", xi, wr)
        # irfft: the DC and Nyquist modes once, every other mode twice.
        coef = torch.full((self.modes,), 2.0, dtype=x.dtype)
        coef[0] = 1.0
        if 2 * (self.modes - 1) == n:
            coef[self.modes - 1] = 1.0
        return ((yr * coef) @ cos_b.t() - (yi * coef) @ sin_b.t()) / n


class Fno1d(nn.Module):
    def __init__(self, modes=12, width=32, layers=4):
        super().__init__()
        self.lift = nn.Linear(2, width)
        self.spectral = nn.ModuleList([SpectralConv1d(width, width, modes) for _ in range(layers)])
        self.pointwise = nn.ModuleList([nn.Linear(width, width) for _ in range(layers)])
        self.project1 = nn.Linear(width, 64)
        self.project2 = nn.Linear(64, 1)

    def forward(self, u0):
        b, n = u0.shape
        grid = torch.arange(n, dtype=u0.dtype) / n
        h = self.lift(torch.stack([u0, grid.expand(b, n)], 2)).transpose(1, 2)  # [B, W, N]
        for i, (spectral, pointwise) in enumerate(zip(self.spectral, self.pointwise)):
            h = spectral(h) + pointwise(h.transpose(1, 2)).transpose(1, 2)
            if i + 1 < len(self.spectral):
                h = gelu(h)
        return self.project2(gelu(self.project1(h.transpose(1, 2)))).squeeze(2)


def relative_l2(pred, target):
    return ((pred - target).norm(dim=1) / target.norm(dim=1).clamp_min(1e-12)).mean()


def make_optimizer(hp, params):
    """models/training.cc MakeOptimizer: sgd (momentum), adam, adamw; weight decay as given."""
    name, lr, wd = hp["optimizer"], float(hp["lr"]), float(hp.get("weight_decay", 0.0))
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=float(hp.get("momentum", 0.9)), weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    return torch.optim.Adam(params, lr=lr, weight_decay=wd)


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def build_model(name, hp):
    if name == "lstm_freq":
        return LstmFreq(int(hp["hidden_size"]), int(hp["num_layers"]))
    return Fno1d(int(hp["modes"]), int(hp["width"]), int(hp["layers"]))


class NonFiniteLoss(FloatingPointError):
    pass


class Trainer:
    """One trial's training: train_epoch() then evaluate(), repeatedly."""

    def __init__(self, name, hp, data, seed):
        self.name, self.hp = name, hp
        torch.manual_seed(seed % (2**63))
        self.model = build_model(name, hp)
        self.opt = make_optimizer(hp, self.model.parameters())
        self.batch = int(hp["batch_size"])
        self.gen = torch.Generator().manual_seed(seed % (2**63))
        self.train_x, self.train_y, self.val_x, self.val_y = (torch.from_numpy(np.asarray(a)) for a in data)
        if name == "lstm_freq":
            self.seq_len = int(hp["seq_len"])
            self.sequences, length = self.train_x.shape[0], self.train_x.shape[1]
            if length % self.seq_len:
                raise ValueError(f"seq_len {self.seq_len} must divide length {length}")
            self.chunks = length // self.seq_len
            layers, hidden = int(hp["num_layers"]), int(hp["hidden_size"])
            self.h = torch.zeros(layers, self.sequences, hidden)
            self.c = torch.zeros_like(self.h)
            self.cursor = torch.zeros(self.sequences, dtype=torch.long)
            self.train_size = self.sequences * self.chunks
        else:
            self.train_size = self.train_x.shape[0]

    def _lstm_loss(self, idx):
        seq = (idx % self.sequences).tolist()
        counts = {}
        for s in seq:
            counts[s] = counts.get(s, 0) + 1
        q = torch.tensor(list(counts), dtype=torch.long)
        w = torch.tensor(list(counts.values()), dtype=torch.float)
        steps = (self.cursor[q] * self.seq_len).unsqueeze(1) + torch.arange(self.seq_len)
        rows = q.unsqueeze(1).expand(-1, self.seq_len)
        x, y = self.train_x[rows, steps], self.train_y[rows, steps]
        pred, (h, c) = self.model(x, (self.h[:, q], self.c[:, q]))
        loss = (((pred - y) ** 2).mean(dim=(1, 2)) * w).sum() / w.sum()
        advanced = self.cursor[q] + 1
        done = advanced >= self.chunks
        keep = (~done).float().view(1, -1, 1)
        self.h[:, q] = h.detach() * keep
        self.c[:, q] = c.detach() * keep
        self.cursor[q] = advanced.masked_fill(done, 0)
        return loss

    def train_epoch(self):
        self.model.train()
        perm = torch.randperm(self.train_size, generator=self.gen)
        for step in range(self.train_size // self.batch):
            idx = perm[step * self.batch:(step + 1) * self.batch]
            if self.name == "lstm_freq":
                loss = self._lstm_loss(idx)
            else:
                loss = relative_l2(self.model(self.train_x[idx]), self.train_y[idx])
            if not math.isfinite(loss.item()):
                raise NonFiniteLoss(f"loss is {loss.item()} at step {step}")
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()

    @torch.no_grad()
    def evaluate(self):
        self.model.eval()
        if self.name == "lstm_freq":
            pred, _ = self.model(self.val_x)
            return F.mse_loss(pred, self.val_y).item()
        return relative_l2(self.model(self.val_x), self.val_y).item()
