"""tools/gpu/CMakeLists.txt lists its sources by hand (the GPU machine has no
Bazel), so a new .cc that a listed source needs is easily missed: the build
then fails only there, at link time (fno1d.cc's use of gaussian_predictive.cc
did). This walks the quoted #includes from the two programs and every listed
source, and requires that each included repository header with a .cc beside it
has that .cc listed."""
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CMAKE = os.path.join(ROOT, "tools", "gpu", "CMakeLists.txt")
PROGRAMS = ["tools/gpu/gpu_checks_test.cc", "tools/gpu/gpu_train_bench.cc"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def listed_sources(text):
    return set(re.findall(r"\$\{R\}/([\w/.-]+\.cc)", text))


def missing_sources(root, listed, programs):
    """The .cc files that the include closure of programs + listed needs."""
    seen, todo, missing = set(), list(programs) + sorted(listed), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        with open(os.path.join(root, path), encoding="utf-8") as f:
            text = f.read()
        for header in INCLUDE.findall(text):
            if not os.path.exists(os.path.join(root, header)):
                continue  # a third-party or generated header
            todo.append(header)
            source = header[:-2] + ".cc" if header.endswith(".h") else None
            if source and os.path.exists(os.path.join(root, source)):
                if source not in listed:
                    missing.add(source)
                todo.append(source)
    return missing


class CmakeSourcesTest(unittest.TestCase):
    def test_every_needed_source_is_listed(self):
        with open(CMAKE, encoding="utf-8") as f:
            listed = listed_sources(f.read())
        self.assertIn("worker/trainer.cc", listed)
        for source in sorted(listed):
            self.assertTrue(os.path.exists(os.path.join(ROOT, source)), f"{source} is listed but absent")
        missing = missing_sources(ROOT, listed, PROGRAMS)
        self.assertEqual(sorted(missing), [], "add these to hpsweep_train in tools/gpu/CMakeLists.txt")

    def test_a_missing_source_is_found(self):
        with open(CMAKE, encoding="utf-8") as f:
            listed = listed_sources(f.read())
        self.assertIn("models/gaussian_predictive.cc",
                      missing_sources(ROOT, listed - {"models/gaussian_predictive.cc"}, PROGRAMS))


if __name__ == "__main__":
    sys.exit(unittest.main())
