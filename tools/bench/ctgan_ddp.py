"""Anchor for `ctgan` in tools/bench/train_bench.sh: PyTorch DDP (gloo, CPU)
training hpsweep's ctgan architecture (models/ctgan.h) in Python, the
pattern of shared/anchors/ddp_baseline.py extended to two networks, two
optimizers and alternating updates.

  generator  z[128] ++ cond -> 2 residual blocks (Linear -> LayerNorm -> ReLU,
             concatenated with their input, widths 256) -> Linear -> tanh /
             Gumbel-softmax(tau 0.2) per span
  critic     pac rows ++ conds -> (Linear 256 -> LeakyReLU(0.2) -> Dropout 0.5) x 2
             -> Linear 1; one forward over (fake, real, interpolated) packs
  step       d_steps critic updates (WGAN-GP, weight 10), one generator update
             (-D(fake) + conditional cross-entropy); Adam(2e-4, betas (0.5, 0.9),
             weight decay 1e-6) per network; the critic is frozen (and used
             unwrapped) during the generator update, the generator runs
             unwrapped under no_grad during critic updates
  data       a fixed random encoded table with hpsweep's layout (3 continuous
             columns: alpha + `modes` one-hot; categorical columns of 4 and 3)
             and training-by-sampling of real rows by a conditioned category

Per-rank batch: --rows (default 500, CTGAN's) rows in packs of --pac.
Usage: python3 ctgan_ddp.py --world 2 --steps 50 [--d_steps 1] [--modes 10]
Prints "model=ctgan world=W params=P samples_per_s=X" (rows per second over
all ranks, after 5 warm-up steps; P counts both networks' parameters, which
train_bench.sh compares with hpsweep's to check that the architectures match).
"""
import argparse, os, sys
import torch, torch.nn as nn, torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddp_harness  # noqa: E402

CATEGORIES = [4, 3]


class Residual(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.norm = nn.LayerNorm(o)

    def forward(self, x):
        return torch.cat([F.relu(self.norm(self.fc(x))), x], 1)


class Generator(nn.Module):
    def __init__(self, emb, cond, dims, data):
        super().__init__()
        layers, d = [], emb + cond
        for w in dims:
            layers.append(Residual(d, w))
            d += w
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(d, data)

    def forward(self, z, c):
        return self.out(self.body(torch.cat([z, c], 1)))


class Critic(nn.Module):
    def __init__(self, inp, dims):
        super().__init__()
        layers, d = [], inp
        for w in dims:
            layers += [nn.Linear(d, w), nn.LeakyReLU(0.2), nn.Dropout(0.5)]
            d = w
        self.body = nn.Sequential(*layers, nn.Linear(d, 1))

    def forward(self, x):
        return self.body(x).squeeze(-1)


def spans(modes):
    out, at = [], 0
    for _ in range(3):
        out.append((at, 1, False)); at += 1
        out.append((at, modes, True)); at += modes
    for k in CATEGORIES:
        out.append((at, k, True)); at += k
    return out, at


def activate(raw, sp):
    parts = []
    for s, w, soft in sp:
        x = raw[:, s:s + w]
        parts.append(F.gumbel_softmax(x, tau=0.2) if soft else torch.tanh(x))
    return torch.cat(parts, 1)


def worker(rank, a, q):
    ddp_harness.start_rank(rank, a.world, 29541)
    sp, data_dim = spans(a.modes)
    cond_dim = sum(CATEGORIES)
    n = 4096
    # A fixed random table in the encoded layout and its categories.
    table = []
    for s, w, soft in sp:
        table.append(F.one_hot(torch.randint(w, (n,)), w).float() if soft else torch.rand(n, 1) * 2 - 1)
    table = torch.cat(table, 1)
    cat_cols = [table[:, s:s + w].argmax(1) for s, w, soft in sp[-len(CATEGORIES):]]
    offsets = [0, CATEGORIES[0]]
    rows_by = [[(col == k).nonzero().squeeze(1) for k in range(kk)] for col, kk in zip(cat_cols, CATEGORIES)]
    logp = [torch.log1p(torch.tensor([len(r) for r in rs], dtype=torch.float)) for rs in rows_by]

    torch.manual_seed(0)
    G = Generator(a.emb, cond_dim, [256, 256], data_dim)
    D = Critic(a.pac * (data_dim + cond_dim), [256, 256])
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.9), weight_decay=1e-6)
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.9), weight_decay=1e-6)
    if a.world > 1:
        G = nn.parallel.DistributedDataParallel(G)
        D = nn.parallel.DistributedDataParallel(D)
    g_mod = G.module if a.world > 1 else G
    d_mod = D.module if a.world > 1 else D
    m, packs = a.rows, a.rows // a.pac

    def sample():
        col = torch.randint(len(CATEGORIES), (m,))
        cond = torch.zeros(m, cond_dim)
        real_idx = torch.empty(m, dtype=torch.long)
        cat = torch.empty(m, dtype=torch.long)
        for j in range(len(CATEGORIES)):
            sel = (col == j).nonzero().squeeze(1)
            k = torch.multinomial(logp[j] / logp[j].sum(), len(sel), replacement=True)
            cat[sel] = k
            cond[sel, offsets[j] + k] = 1
            for kk in range(CATEGORIES[j]):
                s2 = sel[k == kk]
                pool = rows_by[j][kk]
                real_idx[s2] = pool[torch.randint(len(pool), (len(s2),))]
        return cond, col, cat, table[real_idx]

    def pack(x, cond):
        return torch.cat([x, cond], 1).reshape(packs, -1)

    def step():
        for _ in range(a.d_steps):
            cond, _, _, real = sample()
            with torch.no_grad():
                fake = activate(g_mod(torch.randn(m, a.emb), cond), sp)
            f_in, r_in = pack(fake, cond), pack(real, cond)
            mix = torch.rand(packs, 1)
            interp = (mix * r_in + (1 - mix) * f_in).requires_grad_(True)
            scores = D(torch.stack([f_in, r_in, interp], 1))
            grad = torch.autograd.grad(scores[:, 2].sum(), interp, create_graph=True)[0]
            gp = ((grad.norm(2, dim=1) - 1) ** 2).mean()
            loss_d = scores[:, 0].mean() - scores[:, 1].mean() + 10.0 * gp
            optD.zero_grad(set_to_none=True)
            loss_d.backward()
            optD.step()
        cond, col, cat, _ = sample()
        for p in d_mod.parameters():
            p.requires_grad_(False)
        raw = G(torch.randn(m, a.emb), cond)
        scores = d_mod(pack(activate(raw, sp), cond).unsqueeze(1))
        for p in d_mod.parameters():
            p.requires_grad_(True)
        ce = torch.zeros(m)
        for j, (s, w, _) in enumerate(sp[-len(CATEGORIES):]):
            on = (col == j).float()
            ce = ce + F.cross_entropy(raw[:, s:s + w], torch.where(col == j, cat, 0), reduction="none") * on
        loss_g = -scores.mean() + ce.mean()
        optG.zero_grad(set_to_none=True)
        loss_g.backward()
        optG.step()

    dt = ddp_harness.timed_steps(step, 5, a.steps, a.world)
    if rank == 0:
        q.put((a.rows * a.world * a.steps / dt, sum(p.numel() for p in list(g_mod.parameters()) + list(d_mod.parameters()))))
    ddp_harness.end_rank(a.world)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=int, default=2)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rows", type=int, default=500)
    ap.add_argument("--pac", type=int, default=10)
    ap.add_argument("--emb", type=int, default=128)
    ap.add_argument("--d_steps", type=int, default=1)
    ap.add_argument("--modes", type=int, default=10)
    a = ap.parse_args()
    sps, params = ddp_harness.run_ranks(worker, a.world, a)
    print(f"model=ctgan world={a.world} params={params} samples_per_s={sps:.1f}")


if __name__ == "__main__":
    main()
