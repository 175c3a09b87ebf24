#include <gtest/gtest.h>

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

TEST(ZooTest, FindsKnownModel) {
  auto info = FindModel("mlp");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->metric, "val_loss");
  EXPECT_FALSE(info->maximize);
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
