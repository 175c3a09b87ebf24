"""hpsweep helper for training scripts run as command programs.

Standard library only: put this folder on PYTHONPATH or copy the file next to
your script. Under an hpsweep worker the functions talk to the worker over the
two pipes it opened for the script (HPSWEEP_REQUEST_FD / HPSWEEP_REPLY_FD; the
protocol is in worker/command_program.h). Run by hand, outside a sweep, they
still work: params() reads --name=value arguments, report() prints and never
stops, checkpoint_dir() is ./hpsweep_checkpoint.

    import hpsweep
    p = hpsweep.params()                       # {"lr": 0.01, "layers": 3, ...}
    start = hpsweep.restored_step() + 1        # -1 + 1 = 0 on a fresh trial
    if start > 0:
        model.load_state_dict(torch.load(hpsweep.checkpoint_dir() + "/model.pt"))
    for epoch in range(start, epochs):
        ...
        torch.save(model.state_dict(), hpsweep.checkpoint_dir() + "/model.pt")
        if hpsweep.report(epoch, val_loss=v):  # uploads the folder, True: stop
            break
    hpsweep.complete(val_loss=v)

Only rank 0's reports count in a multi-rank trial; other ranks may call the
same functions (their reports are answered "continue").
"""

import json
import math
import os
import sys

__all__ = ["params", "report", "complete", "checkpoint_dir", "restored_step", "rank",
           "world_size", "in_sweep"]

_channel = None


def in_sweep():
    """True when run by an hpsweep worker."""
    return "HPSWEEP_REQUEST_FD" in os.environ


def _parse_arg_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def params():
    """The trial's parameters: a dict of name -> value (numbers, strings, booleans, lists).

    From HPSWEEP_PARAMS under a worker; otherwise from --name=value arguments.
    """
    text = os.environ.get("HPSWEEP_PARAMS")
    if text is not None:
        return json.loads(text)
    out = {}
    for arg in sys.argv[1:]:
        if arg.startswith("--") and "=" in arg:
            name, value = arg[2:].split("=", 1)
            out[name] = _parse_arg_value(value)
    return out


def rank():
    return int(os.environ.get("RANK", "0"))


def world_size():
    return int(os.environ.get("WORLD_SIZE", "1"))


def checkpoint_dir():
    """A folder for this trial's checkpoint files (created if needed).

    After each report() the worker uploads the folder if it changed, and a
    resumed trial (its worker died, or the gang stopped) starts with the
    folder as last uploaded; restored_step() tells the step of that report.
    """
    path = os.environ.get("HPSWEEP_CHECKPOINT_DIR") or os.path.abspath("hpsweep_checkpoint")
    os.makedirs(path, exist_ok=True)
    return path


def restored_step():
    """The step of the report after which the restored folder was uploaded; -1 if none."""
    return int(os.environ.get("HPSWEEP_RESTORED_STEP", "-1"))


class _Channel:
    def __init__(self):
        self._out = os.fdopen(int(os.environ["HPSWEEP_REQUEST_FD"]), "w", buffering=1,
                              closefd=False)
        self._in = os.fdopen(int(os.environ["HPSWEEP_REPLY_FD"]), "r", closefd=False)

    def call(self, request):
        self._out.write(json.dumps(request, allow_nan=False) + "\n")
        self._out.flush()
        line = self._in.readline()
        if not line:
            raise RuntimeError("hpsweep: the worker closed the channel")
        reply = json.loads(line)
        if "error" in reply:
            raise ValueError("hpsweep: the worker refused the request: " + reply["error"])
        return reply


def _call(request):
    global _channel
    if _channel is None:
        _channel = _Channel()
    return _channel.call(request)


def _values(metrics):
    out = {}
    for name, value in metrics.items():
        try:
            number = float(value)  # also 0-d tensors and numpy scalars
        except (TypeError, ValueError):
            raise TypeError("hpsweep: metric %r must be a number, got %r" % (name, value))
        if not math.isfinite(number):
            raise ValueError("hpsweep: metric %r is %r (not finite)" % (name, number))
        out[name] = number
    return out


def report(step, **metrics):
    """Reports metrics at `step` (e.g. the epoch). Returns True when the trial should stop.

    A stop (pruned by early stopping, sweep cancelled, lost lease) is followed
    by SIGTERM from the worker; returning True lets a loop end cleanly first.
    """
    values = _values(metrics)
    if not in_sweep():
        print("hpsweep: step=%d %s" % (int(step), " ".join("%s=%r" % kv for kv in values.items())))
        return False
    reply = _call({"op": "report", "step": int(step), "values": values})
    return bool(reply.get("stop", False))


def complete(**metrics):
    """Final metrics of the trial (over the last reported ones); the trial
    completes when the script exits with status 0."""
    values = _values(metrics)
    if not in_sweep():
        print("hpsweep: %s" % " ".join("%s=%r" % kv for kv in values.items()))
        return
    _call({"op": "complete", "values": values})
