#include "models/transformer_cls.h"

#include <gtest/gtest.h>

#include "models/workload_testing.h"

namespace hpsweep::models {
namespace {

using testing::MeanOf;
using testing::Train;

class TransformerClsTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  static nlohmann::json Small() {
    return {{"d_model", 32},   {"heads", 2},       {"layers", 1},   {"ff_dim", 64},
            {"dropout", 0.0},  {"vocab", 6},       {"seq_len", 12}, {"train_size", 2048},
            {"val_size", 512}, {"batch_size", 64}, {"lr", 3e-3}};
  }
};

TEST_F(TransformerClsTest, LearnsAndBeatsChance) {
  auto w = CreateTransformerClsWorkload(Small(), WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<double> losses = Train(**w, 400);
  const double first = MeanOf(losses, 0, 5), last = MeanOf(losses, 370, 400);
  std::printf("transformer_cls: loss %.4f -> %.4f\n", first, last);
  EXPECT_LT(last, 0.5 * first);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  std::printf("transformer_cls: val_accuracy %.3f vs chance 0.5\n", m->at("val_accuracy"));
  EXPECT_GT(m->at("val_accuracy"), 0.8);
}

TEST_F(TransformerClsTest, GeneratorIsDeterministicAndBalanced) {
  SequenceData a = GenerateSequenceData(100, 10, 5, 3, 0);
  SequenceData b = GenerateSequenceData(100, 10, 5, 3, 0);
  SequenceData c = GenerateSequenceData(100, 10, 5, 4, 0);
  EXPECT_TRUE(torch::equal(a.tokens, b.tokens));
  EXPECT_TRUE(torch::equal(a.labels, b.labels));
  EXPECT_FALSE(torch::equal(a.tokens, c.tokens));
  EXPECT_EQ(a.labels.sum().item<int64_t>(), 50);
  torch::Tensor same = a.tokens.select(1, 0).eq(a.tokens.select(1, 9)).to(torch::kLong);
  EXPECT_TRUE(torch::equal(same, a.labels));
}

TEST_F(TransformerClsTest, ResumeIsBitIdenticalWithDropout) {
  nlohmann::json p = Small();
  p["dropout"] = 0.1;
  p["train_size"] = 256;
  testing::ExpectResumeIsBitIdentical(
      [&] { return CreateTransformerClsWorkload(p, WorkloadContext()); }, 4, 4);
}

TEST_F(TransformerClsTest, TwoRanksComputeOneRanksGradientWithDropout) {
  nlohmann::json p = Small();
  p["dropout"] = 0.2;
  p["train_size"] = 256;
  testing::ExpectDataParallelEquivalent(
      [&] { return CreateTransformerClsWorkload(p, WorkloadContext()); }, 16);
}

TEST_F(TransformerClsTest, HeadsMustDivideDModel) {
  auto w = CreateTransformerClsWorkload({{"d_model", 30}, {"heads", 4}}, WorkloadContext());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.status().field(), "/d_model");
}

}  // namespace
}  // namespace hpsweep::models
