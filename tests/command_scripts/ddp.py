"""A 2-rank DDP (gloo) script: every rank trains its own shard; parameters
must be identical at the end. Rank 0 reports; with fail_rank set, that rank
raises after the rendezvous."""
import json
import os

import torch
import torch.distributed as dist

import hpsweep

p = hpsweep.params()
torch.set_num_threads(1)
dist.init_process_group("gloo", init_method="env://")
rank, world = dist.get_rank(), dist.get_world_size()
assert rank == int(os.environ["RANK"]) and world == int(os.environ["WORLD_SIZE"])
if int(p.get("fail_rank", -1)) == rank:
    raise RuntimeError("rank %d fails on purpose" % rank)
torch.manual_seed(0)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
opt = torch.optim.SGD(model.parameters(), lr=float(p["lr"]))
g = torch.Generator().manual_seed(100 + rank)  # each rank its own data
for epoch in range(3):
    x = torch.randn(64, 4, generator=g)
    y = x.sum(dim=1, keepdim=True)
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    flat = torch.cat([q.detach().reshape(-1) for q in model.parameters()])
    gathered = [torch.zeros_like(flat) for _ in range(world)]
    dist.all_gather(gathered, flat)
    diff = max((t - flat).abs().max().item() for t in gathered)
    hpsweep.report(epoch, val_loss=loss.item(), param_diff=diff, world_size=world)
mark = os.environ.get("MARK_DIR")
if mark:
    with open(os.path.join(mark, "rank%d.json" % rank), "w") as f:
        json.dump({"master": os.environ["MASTER_ADDR"] + ":" + os.environ["MASTER_PORT"],
                   "world": world, "local_rank": int(os.environ["LOCAL_RANK"]),
                   "params": flat.tolist()}, f)
dist.destroy_process_group()
