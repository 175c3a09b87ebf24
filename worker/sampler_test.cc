#include "worker/sampler.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace hpsweep::worker {
namespace {

DistributedSampler Make(int64_t n, int64_t b, uint64_t seed = 7) {
  SamplerOptions o;
  o.dataset_size = n;
  o.batch_size = b;
  o.seed = seed;
  StatusOr<DistributedSampler> s = DistributedSampler::Create(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

TEST(SamplerTest, PermutationIsDeterministicPerSeedAndEpoch) {
  DistributedSampler a = Make(100, 10), b = Make(100, 10), c = Make(100, 10, 8);
  EXPECT_EQ(a.Permutation(3), b.Permutation(3));
  EXPECT_NE(a.Permutation(3), a.Permutation(4));
  EXPECT_NE(a.Permutation(3), c.Permutation(3));
  std::vector<int64_t> p = a.Permutation(0);
  std::sort(p.begin(), p.end());
  std::vector<int64_t> want(100);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(p, want);
}

TEST(SamplerTest, DropsTheLastPartialBatch) {
  EXPECT_EQ(Make(105, 10).StepsPerEpoch(), 10);
  EXPECT_EQ(Make(100, 10).StepsPerEpoch(), 10);
}

// Table: the union of the ranks' shards is the global batch, whatever W.
TEST(SamplerTest, ShardsPartitionTheGlobalBatchForAnyWorldSize) {
  for (int world : {1, 2, 3, 4, 7}) {
    DistributedSampler s = Make(64, 14);
    const std::vector<int64_t> perm = s.Permutation(2);
    for (int64_t step = 0; step < s.StepsPerEpoch(); ++step) {
      std::multiset<int64_t> got;
      for (int r = 0; r < world; ++r) {
        StatusOr<std::vector<int64_t>> idx = s.LocalIndices(2, step, r, world);
        ASSERT_TRUE(idx.ok()) << idx.status();
        EXPECT_EQ(static_cast<int64_t>(idx->size()), DistributedSampler::LocalCount(14, r, world));
        got.insert(idx->begin(), idx->end());
      }
      std::multiset<int64_t> want(perm.begin() + step * 14, perm.begin() + (step + 1) * 14);
      EXPECT_EQ(got, want) << "world " << world << " step " << step;
    }
  }
}

TEST(SamplerTest, StridedSplitByRank) {
  DistributedSampler s = Make(8, 4);
  const std::vector<int64_t> perm = s.Permutation(0);
  StatusOr<std::vector<int64_t>> r1 = s.LocalIndices(0, 1, 1, 2);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(*r1, (std::vector<int64_t>{perm[5], perm[7]}));
}

TEST(SamplerTest, LossScaleMakesUnevenShardsAverageToTheGlobalMean) {
  for (int world : {1, 2, 3, 5}) {
    double sum = 0;
    for (int r = 0; r < world; ++r) {
      // Each rank contributes scale * (its mean) / W; with equal per-sample
      // losses of 1 this must give 1.
      sum += DistributedSampler::LossScale(13, r, world) / world;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12) << "world " << world;
  }
  EXPECT_EQ(DistributedSampler::LossScale(12, 1, 3), 1.0);
}

TEST(SamplerTest, PositionFromSamplesConsumedIsIndependentOfWorldSize) {
  DistributedSampler s = Make(100, 10);
  StatusOr<SamplerPosition> p = s.PositionOf(230);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->global_step, 23);
  EXPECT_EQ(p->epoch, 2);
  EXPECT_EQ(p->step_in_epoch, 3);
  EXPECT_EQ(s.PositionOf(235).status().code(), StatusCode::kInvalidArgument);
}

TEST(SamplerTest, RejectsBadInput) {
  SamplerOptions o;
  o.dataset_size = 5;
  o.batch_size = 10;
  EXPECT_EQ(DistributedSampler::Create(o).status().code(), StatusCode::kInvalidArgument);
  DistributedSampler s = Make(20, 4);
  EXPECT_FALSE(s.LocalIndices(0, 0, 2, 2).ok());   // rank out of range
  EXPECT_FALSE(s.LocalIndices(0, 0, 0, 5).ok());   // world > batch
  EXPECT_FALSE(s.LocalIndices(0, 5, 0, 1).ok());   // step outside the epoch
}

TEST(SamplerTest, NoShuffleVisitsInOrder) {
  SamplerOptions o;
  o.dataset_size = 6;
  o.batch_size = 3;
  o.shuffle = false;
  StatusOr<DistributedSampler> s = DistributedSampler::Create(o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s->LocalIndices(0, 1, 0, 1), (std::vector<int64_t>{3, 4, 5}));
}

}  // namespace
}  // namespace hpsweep::worker
