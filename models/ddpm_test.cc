#include "models/ddpm.h"

#include <gtest/gtest.h>

#include "models/workload_testing.h"

namespace hpsweep::models {
namespace {

using testing::MeanOf;
using testing::Train;

class DdpmTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  static nlohmann::json Small() {
    return {{"timesteps", 50}, {"hidden", {64, 64}}, {"train_size", 2048},
            {"val_size", 512}, {"batch_size", 128},  {"lr", 3e-3}};
  }
};

TEST_F(DdpmTest, LearnsAndBeatsZeroNoisePredictor) {
  auto w = CreateDdpmWorkload(Small(), WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  auto before = (*w)->Evaluate();
  ASSERT_TRUE(before.ok()) << before.status();
  std::vector<double> losses = Train(**w, 300);
  const double first = MeanOf(losses, 0, 5), last = MeanOf(losses, 270, 300);
  std::printf("ddpm: loss %.4f -> %.4f\n", first, last);
  EXPECT_LT(last, 0.6 * first);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  std::printf("ddpm: val_denoise_loss %.4f vs zero predictor 1.0; sample MMD %.4f -> %.4f\n",
              m->at("val_denoise_loss"), before->at("val_sample_mmd"), m->at("val_sample_mmd"));
  EXPECT_LT(m->at("val_denoise_loss"), 0.6);
  EXPECT_LT(m->at("val_sample_mmd"), 0.75 * before->at("val_sample_mmd"));
}

TEST_F(DdpmTest, GeneratorIsDeterministicBySeed) {
  for (const char* dataset : {"ring", "moons"}) {
    torch::Tensor a = GeneratePoints(dataset, 100, 1, 0);
    torch::Tensor b = GeneratePoints(dataset, 100, 1, 0);
    torch::Tensor c = GeneratePoints(dataset, 100, 2, 0);
    EXPECT_TRUE(torch::equal(a, b)) << dataset;
    EXPECT_FALSE(torch::equal(a, c)) << dataset;
    EXPECT_EQ(a.sizes(), (std::vector<int64_t>{100, 2}));
  }
  // Ring points lie near radius 2.
  torch::Tensor r = GeneratePoints("ring", 1000, 3, 0).norm(2, {1});
  EXPECT_NEAR(r.mean().item<double>(), 2.0, 0.05);
}

TEST_F(DdpmTest, ResumeIsBitIdentical) {
  nlohmann::json p = Small();
  p["train_size"] = 256;
  p["batch_size"] = 32;
  testing::ExpectResumeIsBitIdentical([&] { return CreateDdpmWorkload(p, WorkloadContext()); }, 5,
                                      5);
}

TEST_F(DdpmTest, TwoRanksComputeOneRanksGradient) {
  nlohmann::json p = Small();
  p["train_size"] = 256;
  testing::ExpectDataParallelEquivalent([&] { return CreateDdpmWorkload(p, WorkloadContext()); },
                                        32);
}

TEST_F(DdpmTest, TimeEmbedMustBeEven) {
  auto w = CreateDdpmWorkload({{"time_embed", 7}}, WorkloadContext());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "/time_embed");
}

}  // namespace
}  // namespace hpsweep::models
