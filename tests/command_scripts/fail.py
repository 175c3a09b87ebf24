"""A script that fails: its traceback's last lines become the trial's error."""
import sys


def check(lr):
    if lr > 0:
        raise ValueError("boom: learning rate %g rejected" % lr)


print("starting")
check(float(sys.argv[sys.argv.index("--lr") + 1]) if "--lr" in sys.argv else 1.0)
