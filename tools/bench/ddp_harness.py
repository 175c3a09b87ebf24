"""What the repository's PyTorch DDP anchors (ctgan_ddp.py, fno1d_ddp.py)
share with shared/anchors/ddp_baseline.py's pattern: one spawned process
per rank with one intra-op thread, a gloo group when there is more than one
rank, untimed warm-up steps, and timing between two barriers.
"""
import os
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def start_rank(rank, world, port):
    """Per-rank set-up: one thread, the rank's seed, the gloo group."""
    torch.set_num_threads(1)
    torch.manual_seed(rank)
    if world > 1:
        os.environ["MASTER_ADDR"] = "127.0.0.1"
        os.environ["MASTER_PORT"] = str(port)
        dist.init_process_group("gloo", rank=rank, world_size=world)


def timed_steps(step, warmup, steps, world):
    """Runs `warmup` untimed steps, then `steps` timed ones between barriers;
    returns their seconds."""
    for _ in range(warmup):
        step()
    if world > 1:
        dist.barrier()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if world > 1:
        dist.barrier()
    return time.perf_counter() - t0


def end_rank(world):
    if world > 1:
        dist.destroy_process_group()


def run_ranks(worker, world, *args):
    """Spawns worker(rank, *args, queue) for every rank and returns what
    rank 0 puts on the queue."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    ps = [ctx.Process(target=worker, args=(r, *args, q)) for r in range(world)]
    for p in ps:
        p.start()
    result = q.get()
    for p in ps:
        p.join()
    return result
