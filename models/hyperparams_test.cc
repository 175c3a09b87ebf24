#include "models/hyperparams.h"

#include <gtest/gtest.h>

namespace hpsweep::models {
namespace {

std::vector<HyperparamInfo> Specs() {
  return ConcatHyperparams(
      {
          IntParam("width", 64, 1, 4096, "units"),
          FloatParam("dropout", 0.1, 0.0, 0.9, "dropout"),
          ChoiceParam("act", "relu", {"relu", "tanh"}, "activation"),
          BoolParam("bias", true, "bias"),
          IntListParam("hidden", {8, 8}, 1, 100, "widths"),
          StringParam("path", "", "a file"),
          RequiredStringParam("module", "a module file"),
      },
      TrainingHyperparams(TrainingDefaults()));
}

TEST(HyperparamsTest, DefaultsFillMissingKeys) {
  auto hp = Hyperparams::Parse("m", Specs(), {{"module", "x.pt"}});
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->Int("width"), 64);
  EXPECT_DOUBLE_EQ(hp->Float("dropout"), 0.1);
  EXPECT_EQ(hp->String("act"), "relu");
  EXPECT_TRUE(hp->Bool("bias"));
  EXPECT_EQ(hp->IntList("hidden"), (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(hp->String("optimizer"), "adam");
  EXPECT_EQ(hp->Int("batch_size"), 64);
  EXPECT_EQ(hp->String("module"), "x.pt");
}

TEST(HyperparamsTest, AcceptsGivenValues) {
  auto hp = Hyperparams::Parse("m", Specs(),
                               {{"module", "m.pt"},
                                {"width", 128.0},  // integral float is an int
                                {"dropout", 0},    // int is a float
                                {"act", "tanh"},
                                {"hidden", {3, 4, 5}},
                                {"lr", 0.5}});
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->Int("width"), 128);
  EXPECT_DOUBLE_EQ(hp->Float("dropout"), 0.0);
  EXPECT_EQ(hp->IntList("hidden"), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_DOUBLE_EQ(hp->Float("lr"), 0.5);
}

struct BadCase {
  nlohmann::json params;
  std::string field;
  std::string message_part;
};

class HyperparamsBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(HyperparamsBadTest, IsInvalidArgumentNamingTheField) {
  const BadCase& c = GetParam();
  auto hp = Hyperparams::Parse("m", Specs(), c.params);
  ASSERT_FALSE(hp.ok());
  EXPECT_EQ(hp.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(hp.status().field(), c.field);
  EXPECT_NE(hp.status().message().find(c.message_part), std::string::npos) << hp.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HyperparamsBadTest,
    ::testing::Values(
        BadCase{{{"module", "m"}, {"width", 0}}, "/width", "an integer in [1, 4096], got 0"},
        BadCase{{{"module", "m"}, {"width", 1.5}}, "/width", "an integer in [1, 4096]"},
        BadCase{{{"module", "m"}, {"width", "8"}}, "/width", "got \"8\""},
        BadCase{{{"module", "m"}, {"width", true}}, "/width", "an integer"},
        BadCase{{{"module", "m"}, {"dropout", 0.95}}, "/dropout", "a number in [0.0, 0.9]"},
        BadCase{{{"module", "m"}, {"act", "elu"}}, "/act", "one of relu|tanh"},
        BadCase{{{"module", "m"}, {"bias", 1}}, "/bias", "a boolean"},
        BadCase{{{"module", "m"}, {"hidden", nlohmann::json::array()}}, "/hidden", "non-empty"},
        BadCase{{{"module", "m"}, {"hidden", {4, 200}}}, "/hidden", "each in [1, 100]"},
        BadCase{{{"module", "m"}, {"lr", -1.0}}, "/lr", "hyperparameter 'lr'"},
        BadCase{{{"module", "m"}, {"optimizer", "rmsprop"}}, "/optimizer", "sgd|adam|adamw"},
        BadCase{{{"module", "m"}, {"widht", 3}}, "/widht", "unknown hyperparameter 'widht'"},
        BadCase{nlohmann::json::object(), "/module", "'module' is required"}));

TEST(HyperparamsTest, RejectsNonObject) {
  auto hp = Hyperparams::Parse("m", Specs(), nlohmann::json::array());
  ASSERT_FALSE(hp.ok());
  EXPECT_EQ(hp.status().code(), StatusCode::kInvalidArgument);
}

TEST(HyperparamsTest, MessageNamesTheModel) {
  auto hp = Hyperparams::Parse("lstm_freq", Specs(), {{"module", "m"}, {"width", -3}});
  ASSERT_FALSE(hp.ok());
  EXPECT_NE(hp.status().message().find("lstm_freq"), std::string::npos);
}

}  // namespace
}  // namespace hpsweep::models
