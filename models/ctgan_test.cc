#include "models/ctgan.h"

#include <gtest/gtest.h>

#include <cmath>

#include "models/mixed_table.h"
#include "models/training.h"
#include "models/workload_testing.h"

namespace hpsweep::models {
namespace {

using testing::MeanOf;

class CtganTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  // Small enough for seconds on one core.
  static nlohmann::json Small() {
    return {{"embedding_dim", 16},
            {"generator_dims", {64, 64}},
            {"discriminator_dims", {64, 64}},
            {"pac", 4},
            {"train_size", 2048},
            {"val_size", 1024},
            {"batch_size", 128},
            {"max_modes", 4},
            {"g_lr", 1e-3},
            {"d_lr", 1e-3}};
  }
  static StatusOr<std::unique_ptr<Workload>> Make(const nlohmann::json& p) {
    return CreateCtganWorkload(p, WorkloadContext());
  }
};

torch::Tensor Flat(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor& p : params) parts.push_back(p.detach().reshape(-1).clone());
  return torch::cat(parts);
}

// The trivial generator: every column drawn from its training marginal
// independently of the others (each column's values shuffled on its own).
Metrics IndependentMarginals(const MixedTable& train, const MixedTable& val) {
  torch::Generator gen = DataGenerator(99, 0);
  const int64_t n = val.continuous.size(0);
  torch::Tensor mean = train.continuous.mean(0, true);
  torch::Tensor std = train.continuous.std(0, true, true);
  std::vector<torch::Tensor> cont, cat;
  for (int64_t j = 0; j < train.continuous.size(1); ++j) {
    cont.push_back(train.continuous.select(1, j).index({torch::randperm(train.continuous.size(0), gen).slice(0, 0, n)}));
  }
  for (int64_t j = 0; j < train.categorical.size(1); ++j) {
    cat.push_back(train.categorical.select(1, j).index({torch::randperm(train.categorical.size(0), gen).slice(0, 0, n)}));
  }
  return TabularFidelity((torch::stack(cont, 1) - mean) / std, torch::stack(cat, 1),
                         (val.continuous - mean) / std, val.categorical);
}

TEST_F(CtganTest, LearnsAndKeepsDependenciesBetterThanIndependentMarginals) {
  auto w = Make(Small());
  ASSERT_TRUE(w.ok()) << w.status();
  auto before = (*w)->Evaluate();
  ASSERT_TRUE(before.ok()) << before.status();
  // 600 steps of (critic, generator): a GAN's fidelity wanders from one
  // evaluation to the next, so the bounds below leave room (at 400-1000
  // steps the dependency distances measured 0.08-0.17 and 0.26-0.49).
  std::vector<double> losses = testing::Train(**w, 600);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  const Metrics trivial =
      IndependentMarginals(GenerateMixedTable(2048, 0, 0), GenerateMixedTable(1024, 0, 1));
  const double first = MeanOf(losses, 0, 20), last = MeanOf(losses, 550, 600);
  std::printf("ctgan: generator loss %.4f -> %.4f\n", first, last);
  for (const char* k : {"val_fidelity_distance", "val_marginal_w1", "val_marginal_tv",
                        "val_corr_diff", "val_cond_mean_diff"}) {
    std::printf("ctgan: %-22s %.4f -> %.4f (independent marginals %.4f)\n", k, before->at(k),
                m->at(k), trivial.at(k));
  }
  // The generator's loss (-critic score + conditional cross-entropy) falls.
  EXPECT_LT(last, first - 0.5);
  EXPECT_LT(m->at("val_fidelity_distance"), 0.75 * before->at("val_fidelity_distance"));
  // On the dependent columns it beats sampling each column's marginal
  // independently: continuous-continuous correlations, and the continuous
  // columns' means within each category. (The trivial generator wins on the
  // marginals, which it copies.)
  EXPECT_LT(m->at("val_corr_diff"), 0.8 * trivial.at("val_corr_diff"));
  EXPECT_LT(m->at("val_cond_mean_diff"), 0.8 * trivial.at("val_cond_mean_diff"));
}

}  // namespace
}  // namespace hpsweep::models

namespace hpsweep::models {
namespace {

TEST_F(CtganTest, CriticAndGeneratorUpdatesChangeOnlyTheirOwnGroup) {
  nlohmann::json p = Small();
  p["d_steps"] = 2;
  auto w = Make(p);
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<ParamGroup> groups = (*w)->Groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "discriminator");
  EXPECT_EQ(groups[1].name, "generator");
  EXPECT_EQ((*w)->StepUpdates(), (std::vector<int>{0, 0, 1}));
  EXPECT_EQ(groups[0].parameters.size() + groups[1].parameters.size(), (*w)->Parameters().size());
  torch::Tensor indices = torch::arange((*w)->BatchSize());
  for (int u = 0; u < 3; ++u) {
    const size_t own = u < 2 ? 0 : 1, other = 1 - own;
    const torch::Tensor own_before = Flat(groups[own].parameters);
    const torch::Tensor other_before = Flat(groups[other].parameters);
    for (ParamGroup& g : groups) {
      for (torch::Tensor& q : g.parameters) q.mutable_grad().reset();
    }
    auto loss = (*w)->UpdateLoss(u, indices);
    ASSERT_TRUE(loss.ok()) << loss.status();
    loss->backward();
    // The generator update does not even compute critic gradients (the
    // critic is frozen while its graph is built).
    if (own == 1) {
      for (const torch::Tensor& q : groups[0].parameters) EXPECT_FALSE(q.grad().defined());
    }
    groups[own].optimizer->step();
    EXPECT_FALSE(torch::equal(Flat(groups[own].parameters), own_before)) << "update " << u;
    EXPECT_TRUE(torch::equal(Flat(groups[other].parameters), other_before)) << "update " << u;
    for (const torch::Tensor& q : groups[0].parameters) EXPECT_TRUE(q.requires_grad());
  }
  EXPECT_EQ((*w)->UpdateLoss(3, indices).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CtganTest, ResumeIsBitIdenticalWithBothOptimizers) {
  nlohmann::json p = Small();
  p["train_size"] = 256;
  p["batch_size"] = 32;
  p["d_steps"] = 2;
  p["g_lr_schedule"] = "cosine";
  p["epochs"] = 4;
  testing::ExpectResumeIsBitIdentical([&] { return Make(p); }, 5, 5);
}

TEST_F(CtganTest, TwoRanksComputeOneRanksGradientOnEveryUpdate) {
  nlohmann::json p = Small();
  p["train_size"] = 256;
  p["d_steps"] = 2;
  testing::ExpectDataParallelEquivalent([&] { return Make(p); }, 16);
}

TEST_F(CtganTest, BatchMustBeWholePacks) {
  nlohmann::json p = Small();
  p["batch_size"] = 130;
  auto w = Make(p);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.status().field(), "/batch_size");
  EXPECT_NE(w.status().message().find("multiple of pac (4)"), std::string::npos) << w.status();
  auto lr = Make({{"lr", 0.1}});  // no shared lr: each group has its own
  EXPECT_EQ(lr.status().field(), "/lr");
}

TEST(CtganTransformTest, MixtureFindsTheModesOfABimodalColumn) {
  torch::Generator gen = DataGenerator(1, 0);
  torch::Tensor x = torch::cat({torch::randn({600}, gen) * 0.3 - 3.0, torch::randn({400}, gen) * 0.5 + 4.0});
  GaussianMixture1d g = FitGaussianMixture(x, 2);
  ASSERT_EQ(g.weights.size(0), 2);
  torch::Tensor order = g.means.argsort();
  EXPECT_NEAR(g.means[order[0]].item<double>(), -3.0, 0.1);
  EXPECT_NEAR(g.means[order[1]].item<double>(), 4.0, 0.1);
  EXPECT_NEAR(g.weights[order[0]].item<double>(), 0.6, 0.02);
  EXPECT_NEAR(g.stds[order[1]].item<double>(), 0.5, 0.05);
}

TEST(CtganTransformTest, EncodeDecodeRoundTripsAndSamplerMatchesConditions) {
  MixedTable t = GenerateMixedTable(512, 3, 0);
  TableTransform transform(t.continuous, {4, 3}, 5);
  torch::Tensor e = transform.Encode(t.continuous, t.categorical, DataGenerator(3, 9));
  EXPECT_EQ(e.size(1), transform.Width());
  auto [cont, cat] = transform.Decode(e);
  // alpha is clipped at 4 sigma of its mode, so nearly every value returns.
  EXPECT_GT((cont - t.continuous).abs().lt(1e-4).to(torch::kFloat).mean().item<double>(), 0.99);
  EXPECT_TRUE(torch::equal(cat, t.categorical));

  ConditionalSampler sampler(t.categorical, {4, 3});
  EXPECT_EQ(sampler.Width(), 7);
  ConditionalSampler::Draw d = sampler.Sample(torch::rand({2000, 3}, DataGenerator(3, 10)));
  for (int64_t i = 0; i < 2000; ++i) {
    const int64_t j = d.column[i].item<int64_t>(), k = d.category[i].item<int64_t>();
    ASSERT_EQ(t.categorical[d.rows[i].item<int64_t>()][j].item<int64_t>(), k) << "row " << i;
    ASSERT_EQ(d.cond[i][sampler.Offset(static_cast<size_t>(j)) + k].item<float>(), 1.0f);
    ASSERT_EQ(d.cond[i].sum().item<float>(), 1.0f);
  }
  // Log-frequency sampling flattens the categories: the rarest of cat1 is
  // drawn more often than its share of rows.
  torch::Tensor col1 = d.category.index({d.column.eq(1)});
  torch::Tensor drawn = torch::bincount(col1, {}, 3).to(torch::kDouble) / col1.size(0);
  torch::Tensor share = torch::bincount(t.categorical.select(1, 1), {}, 3).to(torch::kDouble) / 512;
  const int64_t rare = share.argmin().item<int64_t>();
  EXPECT_GT(drawn[rare].item<double>(), share[rare].item<double>());
}

}  // namespace
}  // namespace hpsweep::models
