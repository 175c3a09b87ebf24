"""Checks of mo_problems: hypervolume by hand, and each problem's reference
front hypervolume against a known value (BoTorch's, analytic)."""
import math
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import mo_problems  # noqa: E402


class MoProblemsTest(unittest.TestCase):
    def test_hypervolume_by_hand(self):
        self.assertAlmostEqual(mo_problems.hypervolume([[1, 3], [2, 2], [3, 1], [3, 3]], [4, 4]), 6)
        self.assertAlmostEqual(mo_problems.hypervolume([[0, 1, 1], [1, 0, 1], [1, 1, 0]], [2, 2, 2]), 4)
        self.assertEqual(mo_problems.hypervolume([[5, 0]], [4, 4]), 0)

    def test_reference_hypervolumes(self):
        # BoTorch's max_hv for Branin-Currin and its constrained variant.
        for name, ref, constrained in [("branin_currin", [18, 6], False), ("c_branin_currin", [80, 12], True)]:
            grid = mo_problems._grid_hv(ref, constrained)
            true = mo_problems.PROBLEMS[name].true_hv()
            self.assertLessEqual(grid, true)
            self.assertGreater(grid, 0.997 * true, name)
        # ZDT1: 11*11 - area under the front's complement: 121 - 1 + 2/3... computed: 120.6667.
        self.assertAlmostEqual(mo_problems.PROBLEMS["zdt1"].true_hv(), 120 + 2 / 3, delta=1e-3)
        self.assertAlmostEqual(mo_problems.PROBLEMS["zdt2"].true_hv(), 120 + 1 / 3, delta=1e-3)
        self.assertAlmostEqual(mo_problems.PROBLEMS["dtlz2_6d3o"].true_hv(), 1.331 - math.pi / 6)

    def test_optimum_reaches_the_front(self):
        p = mo_problems.PROBLEMS["zdt1"]
        f, _ = p.evaluate([0.25, 0, 0, 0, 0, 0])
        self.assertAlmostEqual(f[1], 0.5)


if __name__ == "__main__":
    unittest.main()
