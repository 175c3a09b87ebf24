"""hps_fuzz_test: one libFuzzer target that is also a regression test."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def hps_fuzz_test(name, srcs, deps = [], **kwargs):
    """A fuzz target (LLVMFuzzerTestOneInput) and its seed corpus.

    Default build (gcc, and --config=asan): a cc_test that runs every file of
    tests/fuzz/corpus/<name>/ through the target, so the seeds, which hold
    every numbered case of issue 11, are a regression suite of their own.

    --config=fuzz (clang, --define=fuzz=true): the same target links libFuzzer
    instead; tools/fuzz.sh builds it in an output base of its own and runs it
    for a bounded time from the corpus.
    """
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps + select({
            "//tests/fuzz:fuzzing": [],
            "//conditions:default": ["//tests/fuzz:replay_main"],
        }),
        linkopts = select({
            "//tests/fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = ["//tests/fuzz:corpus_" + name],
        args = ["tests/fuzz/corpus/" + name],
        **kwargs
    )
