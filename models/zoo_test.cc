#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "models/workload.h"

namespace hpsweep::models {
namespace {

TEST(ZooTest, ListsModelsSortedWithMetrics) {
  std::vector<ModelInfo> models = ListModels();
  ASSERT_FALSE(models.empty());
  for (size_t i = 1; i < models.size(); ++i) EXPECT_LT(models[i - 1].name, models[i].name);
  for (const ModelInfo& m : models) {
    EXPECT_FALSE(m.metric.empty()) << m.name;
    EXPECT_FALSE(m.hyperparams.empty()) << m.name;
  }
}

TEST(ZooTest, EveryModelOfTheIssueIsRegisteredWithItsMetric) {
  struct Expected {
    const char* name;
    const char* metric;
    bool maximize;
  };
  for (const Expected& e :
       {Expected{"ctgan", "val_fidelity_distance", false},
        Expected{"ddpm", "val_denoise_loss", false}, Expected{"fno1d", "val_rel_l2", false},
        Expected{"lstm_freq", "val_mse", false}, Expected{"mlp", "val_loss", false},
        Expected{"torchscript", "val_loss", false},
        Expected{"transformer_cls", "val_accuracy", true},
        Expected{"tvae", "val_neg_elbo", false}}) {
    auto info = FindModel(e.name);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->name, e.name);
    EXPECT_EQ(info->metric, e.metric) << e.name;
    EXPECT_EQ(info->maximize, e.maximize) << e.name;
  }
  EXPECT_EQ(ListModels().size(), 8u);
}

TEST(ZooTest, CreatesEveryGeneratedDataModelAndEvaluatesItsMetric) {
  // Tiny settings; each model's own test covers learning.
  const std::map<std::string, nlohmann::json> small = {
      {"ctgan",
       {{"generator_dims", {4}}, {"discriminator_dims", {4}}, {"embedding_dim", 4}, {"pac", 2},
        {"train_size", 64}, {"val_size", 16}, {"batch_size", 8}}},
      {"ddpm", {{"hidden", {8}}, {"train_size", 32}, {"val_size", 16}, {"timesteps", 4}}},
      {"fno1d", {{"grid", 16}, {"modes", 4}, {"width", 4}, {"train_size", 16}, {"val_size", 16}}},
      {"lstm_freq", {{"hidden_size", 4}, {"length", 10}, {"seq_len", 5}, {"mixes", 1}}},
      {"mlp", {{"in_features", 4}, {"hidden", {4}}, {"train_size", 16}, {"val_size", 16}}},
      {"transformer_cls", {{"d_model", 8}, {"train_size", 16}, {"val_size", 16}}},
      {"tvae", {{"hidden", {4}}, {"train_size", 16}, {"val_size", 16}}},
  };
  for (const auto& [name, params] : small) {
    auto w = CreateWorkload(name, params, WorkloadContext());
    ASSERT_TRUE(w.ok()) << name << ": " << w.status();
    auto loss = (*w)->TrainLoss(torch::arange(std::min<int64_t>(4, (*w)->TrainSize())));
    ASSERT_TRUE(loss.ok()) << name << ": " << loss.status();
    EXPECT_EQ(loss->dim(), 0) << name;
    auto metrics = (*w)->Evaluate();
    ASSERT_TRUE(metrics.ok()) << name << ": " << metrics.status();
    EXPECT_TRUE(metrics->count(FindModel(name)->metric)) << name;
    // Indices outside [0, TrainSize()) are refused, not read.
    auto bad = (*w)->TrainLoss(torch::tensor({(*w)->TrainSize()}, torch::kLong));
    EXPECT_EQ(bad.status().code(), StatusCode::kOutOfRange) << name;
  }
}

TEST(ZooTest, UnknownModelIsNotFoundListingKnownOnes) {
  auto info = FindModel("resnet");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kNotFound);
  for (const ModelInfo& m : ListModels()) {
    EXPECT_NE(info.status().message().find(m.name), std::string::npos) << m.name;
  }
  auto w = CreateWorkload("resnet", nlohmann::json::object(), WorkloadContext());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound);
}

TEST(ZooTest, EveryModelRejectsUnknownAndOutOfRangeHyperparameters) {
  for (const ModelInfo& m : ListModels()) {
    auto w = CreateWorkload(m.name, {{"no_such_param", 1}}, WorkloadContext());
    ASSERT_FALSE(w.ok()) << m.name;
    EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument) << m.name;
    EXPECT_EQ(w.status().field(), "/no_such_param") << m.name;

    auto bad_lr = CreateWorkload(m.name, {{"lr", -1.0}}, WorkloadContext());
    ASSERT_FALSE(bad_lr.ok()) << m.name;
    EXPECT_EQ(bad_lr.status().code(), StatusCode::kInvalidArgument) << m.name;
    // A required hyperparameter (torchscript's module) may be reported first.
    EXPECT_FALSE(bad_lr.status().field().empty()) << m.name;
  }
}

}  // namespace
}  // namespace hpsweep::models

namespace hpsweep::models {
namespace {

// Every default configuration (what a sweep gets for unspecified
// hyperparameters) builds and takes a training step.
TEST(ZooTest, DefaultsBuildAndTrain) {
  torch::set_num_threads(1);
  for (const ModelInfo& m : ListModels()) {
    if (m.name == "torchscript") continue;  // needs files; see torchscript_test
    auto w = CreateWorkload(m.name, nlohmann::json::object(), WorkloadContext());
    ASSERT_TRUE(w.ok()) << m.name << ": " << w.status();
    auto loss = (*w)->TrainLoss(torch::arange((*w)->BatchSize()));
    ASSERT_TRUE(loss.ok()) << m.name << ": " << loss.status();
    loss->backward();
    (*w)->optimizer().step();
    EXPECT_TRUE(std::isfinite(loss->item<double>())) << m.name;
  }
}

}  // namespace
}  // namespace hpsweep::models
