#include "models/torchscript.h"

#include <gtest/gtest.h>

#include "models/tensor_file.h"
#include "models/workload_testing.h"

namespace hpsweep::models {
namespace {

using testing::MeanOf;
using testing::Train;

// The checked-in files come from models/examples/export_torchscript.py.
constexpr char kRegressor[] = "models/testdata/tiny_regressor.pt";
constexpr char kClassifier[] = "models/testdata/tiny_classifier.pt";
constexpr char kRegressionNpy[] = "models/testdata/regression.npy";
constexpr char kClassificationCsv[] = "models/testdata/classification.csv";

class TorchScriptTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  static nlohmann::json Regression() {
    return {
        {"module", kRegressor}, {"train_data", kRegressionNpy}, {"lr", 0.01}, {"batch_size", 32}};
  }
};

TEST_F(TorchScriptTest, TrainsCheckedInRegressor) {
  auto w = CreateTorchScriptWorkload(Regression(), WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->TrainSize(), 205);  // 256 rows, 20% held out
  std::vector<double> losses = Train(**w, 150);
  const double first = MeanOf(losses, 0, 5), last = MeanOf(losses, 130, 150);
  std::printf("torchscript regression: loss %.4f -> %.4f\n", first, last);
  EXPECT_LT(last, 0.3 * first);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  torch::Tensor y = ReadNpy(kRegressionNpy)->select(1, 4);
  const double variance = y.var().item<double>();
  std::printf("torchscript regression: val_loss %.4f vs mean predictor ~%.4f\n", m->at("val_loss"),
              variance);
  EXPECT_LT(m->at("val_loss"), 0.3 * variance);
}

TEST_F(TorchScriptTest, TrainsCheckedInClassifierFromCsv) {
  auto w = CreateTorchScriptWorkload({{"module", kClassifier},
                                      {"train_data", kClassificationCsv},
                                      {"loss", "cross_entropy"},
                                      {"lr", 0.01}},
                                     WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<double> losses = Train(**w, 150);
  const double first = MeanOf(losses, 0, 5), last = MeanOf(losses, 130, 150);
  std::printf("torchscript classification: loss %.4f -> %.4f\n", first, last);
  EXPECT_LT(last, 0.6 * first);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  std::printf("torchscript classification: val_accuracy %.3f vs chance 0.333\n",
              m->at("val_accuracy"));
  EXPECT_GT(m->at("val_accuracy"), 0.55);
}

TEST_F(TorchScriptTest, ExplicitValidationFileAndBaseDir) {
  WorkloadContext ctx;
  ctx.base_dir = "models/testdata";
  auto w = CreateTorchScriptWorkload({{"module", "tiny_regressor.pt"},
                                      {"train_data", "regression.npy"},
                                      {"val_data", "regression.csv"}},
                                     ctx);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->TrainSize(), 256);
}

TEST_F(TorchScriptTest, ResumeIsBitIdentical) {
  testing::ExpectResumeIsBitIdentical(
      [&] { return CreateTorchScriptWorkload(Regression(), WorkloadContext()); }, 5, 5);
}

TEST_F(TorchScriptTest, BadHyperparametersNameTheField) {
  struct Case {
    nlohmann::json params;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"train_data", kRegressionNpy}}, "/module"},
      {{{"module", kRegressor}}, "/train_data"},
      {{{"module", "models/testdata/nope.pt"}, {"train_data", kRegressionNpy}}, "/module"},
      {{{"module", kRegressor}, {"train_data", "models/testdata/nope.csv"}}, "/train_data"},
      {{{"module", kRegressor}, {"train_data", kRegressionNpy}, {"target_columns", 5}},
       "/target_columns"},
      // 2 targets, but the module returns 1 output.
      {{{"module", kRegressor}, {"train_data", kRegressionNpy}, {"target_columns", 2}}, "/module"},
      // 1 output cannot be logits over 3 classes.
      {{{"module", kRegressor}, {"train_data", kClassificationCsv}, {"loss", "cross_entropy"}},
       "/module"},
      {{{"module", kClassifier}, {"train_data", kRegressionNpy}, {"loss", "cross_entropy"}},
       "/train_data"},
      {{{"module", kRegressor}, {"train_data", kRegressionNpy}, {"loss", "hinge"}}, "/loss"},
  };
  for (const Case& c : cases) {
    auto w = CreateTorchScriptWorkload(c.params, WorkloadContext());
    ASSERT_FALSE(w.ok()) << c.params.dump();
    EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument) << w.status();
    EXPECT_EQ(w.status().field(), c.field) << w.status();
  }
}

}  // namespace
}  // namespace hpsweep::models

namespace hpsweep::models {
namespace {

// A module's own metrics(output, target) are reported beside val_loss.
TEST(TorchScriptMetricsTest, ModuleMetricsAreReported) {
  torch::set_num_threads(1);
  auto w = CreateTorchScriptWorkload({{"module", "models/testdata/tiny_regressor_metrics.pt"},
                                      {"train_data", "models/testdata/regression.npy"},
                                      {"lr", 0.01}},
                                     WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  testing::Train(**w, 20);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->count("val_loss"));
  ASSERT_TRUE(m->count("val_mae")) << "the module's metrics() entries";
  ASSERT_TRUE(m->count("val_max_abs_err"));
  EXPECT_GT(m->at("val_mae"), 0);
  EXPECT_GE(m->at("val_max_abs_err"), m->at("val_mae"));
  // mean |e| <= sqrt(mean e^2)
  EXPECT_LE(m->at("val_mae"), std::sqrt(m->at("val_loss")) + 1e-9);
}

}  // namespace
}  // namespace hpsweep::models
