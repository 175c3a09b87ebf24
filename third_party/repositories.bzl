"""Offline repositories: Debian packages wrapped as Bazel targets.

Every repository here resolves to files that tools/setup.sh installs with
apt-get; nothing is downloaded. Repositories are fetched lazily, so @cuda is
only looked for when a `--config=cuda` build needs it.
"""

_RULES_CC_PATCHED_FILES = [
    "cc/private/rules_impl/compiler_flag.bzl",
    "cc/private/rules_impl/cc_flags_supplier.bzl",
]

def _debian_rules_cc_impl(ctx):
    """Copies Debian's rules_cc and adapts it to Bazel 4.2.

    rules_cc 0.0.4 loads `use_cpp_toolchain` from Bazel's toolchain_utils.bzl,
    which Bazel 4.2 lacks. The two files that use it get the C++ toolchain type
    label instead, which is what `use_cpp_toolchain()` returns there.
    """
    src = ctx.path(ctx.attr.path)
    if not src.exists:
        fail("rules_cc not found at %s: run tools/setup.sh (package bazel-rules-cc)" % src)
    result = ctx.execute(["cp", "-R", "--no-preserve=mode", str(src) + "/.", "."])
    if result.return_code != 0:
        fail("copying rules_cc from %s failed: %s" % (src, result.stderr))
    for name in _RULES_CC_PATCHED_FILES:
        text = ctx.read(name)
        text = text.replace('"find_cpp_toolchain", "use_cpp_toolchain"', '"find_cpp_toolchain"')
        text = text.replace("use_cpp_toolchain()", '["@bazel_tools//tools/cpp:toolchain_type"]')
        if "use_cpp_toolchain" in text:
            fail("rules_cc: could not adapt %s to Bazel 4.2; its text changed" % name)
        ctx.file(name, text, executable = False)

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    attrs = {"path": attr.string(default = "/usr/share/bazel/rules/cc")},
    local = True,
)

def _local_coverage_tools_impl(ctx):
    """Answers @remote_coverage_tools locally so cc_test analysis never downloads it.

    Coverage is not collected through Bazel here; the targets exist so that test
    rules analyse, and they fail loudly if anything actually runs them.
    """
    ctx.file("WORKSPACE", 'workspace(name = "remote_coverage_tools")\n')
    ctx.file("unsupported.sh", "#!/bin/sh\necho 'bazel coverage is not supported offline; use lcov directly' >&2\nexit 1\n", executable = True)
    ctx.file("BUILD.bazel", """package(default_visibility = ["//visibility:public"])

sh_binary(name = "coverage_report_generator", srcs = ["unsupported.sh"])

sh_binary(name = "lcov_merger", srcs = ["unsupported.sh"])
""")

local_coverage_tools = repository_rule(implementation = _local_coverage_tools_impl)

def hpsweep_repositories():
    """Declares every external repository hpsweep builds against."""
    debian_rules_cc(name = "rules_cc")
    native.local_repository(name = "rules_java", path = "/usr/share/bazel/rules/java")
    local_coverage_tools(name = "remote_coverage_tools")

    native.new_local_repository(
        name = "libtorch",
        path = "/usr/include",
        build_file = "//third_party:libtorch.BUILD",
    )
    native.new_local_repository(
        name = "openmpi",
        path = "/usr/lib/x86_64-linux-gnu/openmpi",
        build_file = "//third_party:openmpi.BUILD",
    )
    native.new_local_repository(
        name = "rocksdb",
        path = "/usr/include",
        build_file = "//third_party:rocksdb.BUILD",
    )
    native.new_local_repository(
        name = "boost",
        path = "/usr/include",
        build_file = "//third_party:boost.BUILD",
    )
    native.new_local_repository(
        name = "nlohmann_json",
        path = "/usr/include",
        build_file = "//third_party:nlohmann_json.BUILD",
    )
    native.new_local_repository(
        name = "googletest",
        path = "/usr/include",
        build_file = "//third_party:googletest.BUILD",
    )
    native.new_local_repository(
        name = "yaml_cpp",
        path = "/usr/include",
        build_file = "//third_party:yaml_cpp.BUILD",
    )
    native.new_local_repository(
        name = "cuda",
        path = "/usr/local/cuda",
        build_file = "//third_party:cuda.BUILD",
    )
