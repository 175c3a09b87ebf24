"""The same regression without the helper: --name=value arguments in,
"hpsweep: step=N val_loss=V" lines out."""
import argparse

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--epochs", type=int, default=4)
args, _ = parser.parse_known_args()
torch.set_num_threads(1)
torch.manual_seed(0)
g = torch.Generator().manual_seed(1)
x = torch.randn(256, 4, generator=g)
y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(256, 1, generator=g)
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=args.lr)
for epoch in range(args.epochs):
    for i in range(0, 256, 32):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x[i:i + 32]), y[i:i + 32]).backward()
        opt.step()
    with torch.no_grad():
        val = torch.nn.functional.mse_loss(model(x), y).item()
    print("epoch %d done" % epoch)
    print("hpsweep: step=%d val_loss=%g" % (epoch, val))
