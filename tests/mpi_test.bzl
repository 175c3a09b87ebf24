"""mpi_test: a GoogleTest binary run as several MPI ranks under mpirun.

The test binary is built as a cc_binary and started by mpi_test_runner.sh with
`mpirun -np <np>`; the test fails if any rank fails. The binary provides its own
main() (see tests/mpi_test_main.h) so that MPI is initialised before the tests.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")

def mpi_test(name, srcs, deps, np = 2, tags = [], size = "medium", data = [], **kwargs):
    cc_binary(
        name = name + "_bin",
        srcs = srcs,
        deps = deps,
        testonly = True,
        **kwargs
    )
    native.sh_test(
        name = name,
        srcs = ["//tests:mpi_test_runner.sh"],
        args = [str(np), "$(location :%s_bin)" % name],
        data = [":%s_bin" % name] + data,
        size = size,
        # Several processes and a loopback transport: run alone, outside the
        # sandbox's network namespace limits.
        tags = tags + ["multi-process", "exclusive"],
    )
