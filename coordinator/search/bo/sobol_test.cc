#include "coordinator/search/bo/sobol.h"

#include <gtest/gtest.h>

#include <set>

namespace hpsweep::coordinator::bo {
namespace {

TEST(PrimitivePolynomialsTest, FirstOnesAreTheKnownOnes) {
  // x+1; x^2+x+1; x^3+x+1, x^3+x^2+1; x^4+x+1, x^4+x^3+1.
  EXPECT_EQ(PrimitivePolynomials(6), (std::vector<uint32_t>{3, 7, 11, 13, 19, 25}));
  // phi(2^s-1)/s primitive polynomials of degree s: 1,1,2,2,6,6,18,16,48.
  const std::vector<uint32_t> p = PrimitivePolynomials(100);
  int degree9 = 0;
  for (uint32_t q : p) degree9 += (q >> 9) == 1;
  EXPECT_EQ(degree9, 100 - (1 + 1 + 2 + 2 + 6 + 6 + 18 + 16));
}

TEST(SobolTest, UnscrambledStartsLikeTheClassicalSequence) {
  SobolSequence s(2, 0, /*scramble=*/false);
  const std::vector<std::vector<double>> want = {{0, 0}, {0.5, 0.5}, {0.75, 0.25}, {0.25, 0.75}};
  for (const auto& w : want) EXPECT_EQ(s.Next(), w);
}

class SobolBalanceTest : public ::testing::TestWithParam<std::tuple<int, uint64_t, bool>> {};

TEST_P(SobolBalanceTest, FirstPowerOfTwoPointsStratifyEveryDimension) {
  const auto [dims, seed, scramble] = GetParam();
  SobolSequence s(dims, seed, scramble);
  constexpr int kLog = 8;
  std::vector<std::vector<double>> pts;
  for (int i = 0; i < (1 << kLog); ++i) pts.push_back(s.Next());
  for (int d = 0; d < dims; ++d) {
    for (int k = 1; k <= kLog; ++k) {
      // Every block of the first 2^k points hits each of 2^k bins once.
      std::set<int> bins;
      for (int i = 0; i < (1 << k); ++i) {
        const double v = pts[i][d];
        ASSERT_GE(v, 0.0);
        ASSERT_LT(v, 1.0);
        bins.insert(static_cast<int>(v * (1 << k)));
      }
      EXPECT_EQ(static_cast<int>(bins.size()), 1 << k) << "dim " << d << " k " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SobolBalanceTest,
                         ::testing::Values(std::make_tuple(1, 0, false), std::make_tuple(40, 0, false),
                                           std::make_tuple(40, 1, true), std::make_tuple(300, 77, true)));

TEST(SobolTest, DeterministicBySeedAndSkipMatchesNext) {
  SobolSequence a(5, 42), b(5, 42), c(5, 43);
  std::vector<std::vector<double>> pa;
  for (int i = 0; i < 20; ++i) pa.push_back(a.Next());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(b.Next(), pa[i]);
  EXPECT_NE(c.Next(), pa[0]);
  SobolSequence d(5, 42);
  d.Skip(13);
  EXPECT_EQ(d.index(), 13u);
  EXPECT_EQ(d.Next(), pa[13]);
}

TEST(SobolTest, TwoDimensionalProjectionsAreWellSpread) {
  // Every pair of the first 8 dimensions, 256 points in a 16x16 grid: no
  // cell may hold more than a few points (a random design has max ~5-6).
  SobolSequence s(8, 3);
  std::vector<std::vector<double>> pts;
  for (int i = 0; i < 256; ++i) pts.push_back(s.Next());
  for (int a = 0; a < 8; ++a) {
    for (int b = a + 1; b < 8; ++b) {
      int cells[16][16] = {};
      int worst = 0;
      for (const auto& p : pts) {
        worst = std::max(worst, ++cells[static_cast<int>(p[a] * 16)][static_cast<int>(p[b] * 16)]);
      }
      EXPECT_LE(worst, 4) << a << "," << b;
    }
  }
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
