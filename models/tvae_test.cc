#include "models/tvae.h"

#include <gtest/gtest.h>

#include <cmath>

#include "models/workload_testing.h"

namespace hpsweep::models {
namespace {

using testing::MeanOf;
using testing::Train;

class TvaeTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  static nlohmann::json Small() {
    return {{"latent_dim", 4},  {"hidden", {32, 32}}, {"train_size", 2048},
            {"val_size", 1024}, {"batch_size", 128},  {"lr", 3e-3}};
  }
};

// Negative log-likelihood per row of the independent-marginals model
// (Gaussian per standardised continuous column, frequencies per categorical).
double MarginalBaseline(const MixedTable& val) {
  double nll = kTvaeContinuous * 0.5 * std::log(2.0 * M_PI * M_E);
  for (size_t j = 0; j < kTvaeCategories.size(); ++j) {
    torch::Tensor p = torch::bincount(val.categorical.select(1, j)).to(torch::kDouble) /
                      static_cast<double>(val.categorical.size(0));
    nll -= (p * torch::log(p.clamp_min(1e-12))).sum().item<double>();
  }
  return nll;
}

TEST_F(TvaeTest, LearnsAndBeatsIndependentMarginals) {
  auto w = CreateTvaeWorkload(Small(), WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  auto before = (*w)->Evaluate();
  ASSERT_TRUE(before.ok()) << before.status();
  std::vector<double> losses = Train(**w, 400);
  const double first = MeanOf(losses, 0, 5), last = MeanOf(losses, 370, 400);
  std::printf("tvae: loss %.4f -> %.4f\n", first, last);
  // A negative ELBO has an irreducible floor (the data's entropy), so "well
  // below" is measured in nats rather than as a ratio.
  EXPECT_LT(last, first - 1.5);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  const double baseline = MarginalBaseline(GenerateMixedTable(1024, 0, 1));
  std::printf("tvae: val_neg_elbo %.4f vs independent marginals %.4f; fidelity %.4f -> %.4f\n",
              m->at("val_neg_elbo"), baseline, before->at("val_fidelity_distance"),
              m->at("val_fidelity_distance"));
  EXPECT_LT(m->at("val_neg_elbo"), baseline);
  EXPECT_LT(m->at("val_fidelity_distance"), 0.5 * before->at("val_fidelity_distance"));
}

TEST_F(TvaeTest, GeneratorIsDeterministicBySeed) {
  MixedTable a = GenerateMixedTable(200, 1, 0);
  MixedTable b = GenerateMixedTable(200, 1, 0);
  MixedTable c = GenerateMixedTable(200, 2, 0);
  EXPECT_TRUE(torch::equal(a.continuous, b.continuous));
  EXPECT_TRUE(torch::equal(a.categorical, b.categorical));
  EXPECT_FALSE(torch::equal(a.continuous, c.continuous));
  EXPECT_EQ(a.continuous.sizes(), (std::vector<int64_t>{200, kTvaeContinuous}));
  EXPECT_LT(a.categorical.select(1, 0).max().item<int64_t>(), 4);
  EXPECT_LT(a.categorical.select(1, 1).max().item<int64_t>(), 3);
  // Columns depend on each other (what a VAE can exploit).
  torch::Tensor corr = torch::corrcoef(a.continuous.t());
  EXPECT_GT(corr[0][1].item<double>(), 0.5);
}

TEST_F(TvaeTest, ResumeIsBitIdentical) {
  nlohmann::json p = Small();
  p["train_size"] = 256;
  p["batch_size"] = 32;
  testing::ExpectResumeIsBitIdentical([&] { return CreateTvaeWorkload(p, WorkloadContext()); }, 5,
                                      5);
}

TEST_F(TvaeTest, TwoRanksComputeOneRanksGradient) {
  nlohmann::json p = Small();
  p["train_size"] = 256;
  testing::ExpectDataParallelEquivalent([&] { return CreateTvaeWorkload(p, WorkloadContext()); },
                                        32);
}

}  // namespace
}  // namespace hpsweep::models
