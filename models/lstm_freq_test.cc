#include "models/lstm_freq.h"

#include <gtest/gtest.h>

#include "models/workload_testing.h"

namespace hpsweep::models {
namespace {

using testing::MeanOf;
using testing::Train;

class LstmFreqTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  static nlohmann::json Small() {
    return {{"hidden_size", 32}, {"num_layers", 1}, {"seq_len", 50},    {"length", 200},
            {"mixes", 16},       {"val_mixes", 8},  {"batch_size", 32}, {"lr", 0.01}};
  }
};

TEST_F(LstmFreqTest, DefaultsAreTheBenchmarkWorkload) {
  auto w = CreateLstmFreqWorkload(nlohmann::json::object(), WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<torch::Tensor> p = (*w)->Parameters();
  // 2 layers x (w_ih, w_hh, b_ih, b_hh) + head weight and bias.
  ASSERT_EQ(p.size(), 10u);
  EXPECT_EQ(p[0].sizes(), (std::vector<int64_t>{512, 5}));
  EXPECT_EQ(p[8].sizes(), (std::vector<int64_t>{1, 128}));
  EXPECT_EQ((*w)->BatchSize(), 32);
  EXPECT_NE(dynamic_cast<torch::optim::Adam*>(&(*w)->optimizer()), nullptr);
}

TEST_F(LstmFreqTest, LearnsAndBeatsZeroPredictor) {
  auto w = CreateLstmFreqWorkload(Small(), WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<double> losses = Train(**w, 300);
  const double first = MeanOf(losses, 0, 5), last = MeanOf(losses, 270, 300);
  std::printf("lstm_freq: loss %.4f -> %.4f\n", first, last);
  EXPECT_LT(last, 0.5 * first);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  std::printf("lstm_freq: val_mse %.4f vs zero predictor %.4f\n", m->at("val_mse"),
              m->at("val_baseline_mse"));
  EXPECT_LT(m->at("val_mse"), 0.6 * m->at("val_baseline_mse"));
}

TEST_F(LstmFreqTest, GeneratorIsDeterministicBySeed) {
  FreqData a = GenerateFreqData(3, 40, 0.1, 5, 0);
  FreqData b = GenerateFreqData(3, 40, 0.1, 5, 0);
  FreqData c = GenerateFreqData(3, 40, 0.1, 6, 0);
  FreqData v = GenerateFreqData(3, 40, 0.1, 5, 1);
  EXPECT_TRUE(torch::equal(a.inputs, b.inputs));
  EXPECT_TRUE(torch::equal(a.targets, b.targets));
  EXPECT_FALSE(torch::equal(a.inputs, c.inputs));
  EXPECT_FALSE(torch::equal(a.inputs, v.inputs));
  EXPECT_EQ(a.inputs.sizes(), (std::vector<int64_t>{12, 40, 5}));
  // The four sequences of a mix share the mixed signal and differ in selector.
  EXPECT_TRUE(torch::equal(a.inputs[0].select(1, 0), a.inputs[3].select(1, 0)));
  EXPECT_EQ(a.inputs[2][0][3].item<float>(), 1.0f);
}

TEST_F(LstmFreqTest, ResumeWithCarriedStateIsBitIdentical) {
  for (int seq_len : {1, 10}) {
    nlohmann::json p = Small();
    p["seq_len"] = seq_len;
    p["length"] = 20;
    p["mixes"] = 2;
    p["batch_size"] = 4;
    testing::ExpectResumeIsBitIdentical(
        [&] { return CreateLstmFreqWorkload(p, WorkloadContext()); }, 7, 6);
  }
}

TEST_F(LstmFreqTest, SeqLenMustDivideLength) {
  auto w = CreateLstmFreqWorkload({{"seq_len", 30}, {"length", 100}}, WorkloadContext());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.status().field(), "/seq_len");
}

}  // namespace
}  // namespace hpsweep::models
