#include "models/mlp.h"

#include <gtest/gtest.h>

#include "models/workload_testing.h"

namespace hpsweep::models {
namespace {

using testing::MeanOf;
using testing::Train;

class MlpTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }

  static nlohmann::json Small(const std::string& task) {
    return {{"task", task},       {"in_features", 16}, {"hidden", {64}},   {"classes", 4},
            {"train_size", 1024}, {"val_size", 512},   {"batch_size", 64}, {"lr", 0.05}};
  }
  static std::unique_ptr<Workload> Make(const nlohmann::json& params, uint64_t seed = 1) {
    WorkloadContext ctx;
    ctx.seed = seed;
    ctx.data_seed = seed;
    auto w = CreateMlpWorkload(params, ctx);
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? std::move(w).value() : nullptr;
  }
};

TEST_F(MlpTest, DefaultsAreTheBenchmarkWorkload) {
  auto w = Make(nlohmann::json::object());
  ASSERT_NE(w, nullptr);
  std::vector<torch::Tensor> p = w->Parameters();
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].sizes(), (std::vector<int64_t>{1024, 256}));
  EXPECT_EQ(p[2].sizes(), (std::vector<int64_t>{1024, 1024}));
  EXPECT_EQ(p[4].sizes(), (std::vector<int64_t>{10, 1024}));
  EXPECT_EQ(w->BatchSize(), 128);
  auto* sgd = dynamic_cast<torch::optim::SGD*>(&w->optimizer());
  ASSERT_NE(sgd, nullptr);
  const auto& o = static_cast<const torch::optim::SGDOptions&>(sgd->defaults());
  EXPECT_DOUBLE_EQ(o.lr(), 0.01);
  EXPECT_DOUBLE_EQ(o.momentum(), 0.9);
}

TEST_F(MlpTest, ClassificationLearnsAndBeatsChance) {
  auto w = Make(Small("classification"));
  ASSERT_NE(w, nullptr);
  std::vector<double> losses = Train(*w, 240);
  const double first = MeanOf(losses, 0, 5), last = MeanOf(losses, 220, 240);
  std::printf("mlp classification: loss %.4f -> %.4f\n", first, last);
  EXPECT_LT(last, 0.5 * first);
  auto m = w->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  TabularData data = GenerateTabularData(16, 4, true, 1024, 512, 0.1, 1);
  const double majority =
      torch::bincount(data.val_y).max().item<double>() / static_cast<double>(data.val_y.size(0));
  std::printf("mlp classification: val_accuracy %.3f vs majority class %.3f\n",
              m->at("val_accuracy"), majority);
  EXPECT_GT(m->at("val_accuracy"), majority + 0.2);
  EXPECT_TRUE(m->count("val_loss"));
}

TEST_F(MlpTest, RegressionLearnsAndBeatsMeanPredictor) {
  auto w = Make(Small("regression"));
  ASSERT_NE(w, nullptr);
  std::vector<double> losses = Train(*w, 240);
  const double first = MeanOf(losses, 0, 5), last = MeanOf(losses, 220, 240);
  std::printf("mlp regression: loss %.4f -> %.4f\n", first, last);
  EXPECT_LT(last, 0.5 * first);
  auto m = w->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  TabularData data = GenerateTabularData(16, 1, false, 1024, 512, 0.1, 1);
  const double mean_mse = (data.val_y - data.train_y.mean()).pow(2).mean().item<double>();
  std::printf("mlp regression: val_mse %.4f vs mean predictor %.4f\n", m->at("val_mse"), mean_mse);
  EXPECT_LT(m->at("val_mse"), 0.5 * mean_mse);
}

TEST_F(MlpTest, GeneratorIsDeterministicBySeed) {
  TabularData a = GenerateTabularData(8, 3, true, 64, 32, 0.1, 7);
  TabularData b = GenerateTabularData(8, 3, true, 64, 32, 0.1, 7);
  TabularData c = GenerateTabularData(8, 3, true, 64, 32, 0.1, 8);
  EXPECT_TRUE(torch::equal(a.train_x, b.train_x));
  EXPECT_TRUE(torch::equal(a.val_y, b.val_y));
  EXPECT_FALSE(torch::equal(a.train_x, c.train_x));
  EXPECT_FALSE(torch::equal(a.train_x, a.val_x.slice(0, 0, 32).repeat({2, 1})));
}

TEST_F(MlpTest, ResumeIsBitIdenticalWithDropout) {
  nlohmann::json p = Small("classification");
  p["dropout"] = 0.2;
  testing::ExpectResumeIsBitIdentical([&] { return CreateMlpWorkload(p, WorkloadContext()); }, 5,
                                      5);
  testing::ExpectDeterministic([&] { return CreateMlpWorkload(p, WorkloadContext()); }, 3);
}

TEST_F(MlpTest, TwoRanksComputeOneRanksGradientWithDropout) {
  nlohmann::json p = Small("classification");
  p["dropout"] = 0.3;
  testing::ExpectDataParallelEquivalent([&] { return CreateMlpWorkload(p, WorkloadContext()); },
                                        32);
}

TEST_F(MlpTest, RejectsBadHyperparameters) {
  auto w = CreateMlpWorkload({{"hidden", {0}}}, WorkloadContext());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.status().field(), "/hidden");
}

}  // namespace
}  // namespace hpsweep::models
