// fno1d's probabilistic mode (uncertainty: "gaussian") and the guarantees
// that the deterministic default did not change. Beside fno1d_test.cc, in its
// own target so that neither runs near its timeout on a loaded machine.
#include <gtest/gtest.h>

#include <cmath>

#include "models/fno1d.h"
#include "models/workload_testing.h"

namespace hpsweep::models {
namespace {

class Fno1dGaussianTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  static nlohmann::json Heat() {
    return {{"pde", "heat"},    {"grid", 32},       {"modes", 8},        {"width", 16},
            {"layers", 2},      {"viscosity", 0.1}, {"train_size", 256}, {"val_size", 128},
            {"batch_size", 16}, {"lr", 3e-3}};
  }
  static nlohmann::json Gaussian(nlohmann::json p) {
    p["uncertainty"] = "gaussian";
    return p;
  }
  static int64_t Count(Workload& w) {
    int64_t n = 0;
    for (const torch::Tensor& t : w.Parameters()) n += t.numel();
    return n;
  }
};

// Parameters of the deterministic operator, by module: lift, per layer a
// spectral weight [W, W, modes, 2] and a pointwise Linear, project W -> 64 -> 1.
int64_t DeterministicParameterCount(int64_t width, int64_t modes, int64_t layers) {
  return (2 * width + width) + layers * (width * width * modes * 2 + width * width + width) +
         (width * 64 + 64) + (64 + 1);
}

TEST_F(Fno1dGaussianTest, DeterministicModeIsUnchanged) {
  nlohmann::json p = Heat();
  p["train_size"] = 64;
  p["val_size"] = 32;
  auto w = CreateFno1dWorkload(p, WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(Count(**w), DeterministicParameterCount(16, 8, 2));
  // Losses and metrics recorded from the model before the gaussian mode
  // existed (same seed 0); a tolerance only for BLAS kernels of other CPUs.
  const std::vector<double> recorded = {2.1587076187133789, 1.3590737581253052, 0.99638128280639648,
                                        0.81758826971054077};
  std::vector<double> losses = testing::Train(**w, 4);
  ASSERT_EQ(losses.size(), recorded.size());
  for (size_t i = 0; i < losses.size(); ++i) {
    EXPECT_NEAR(losses[i], recorded[i], 1e-5 * recorded[i]) << "step " << i;
  }
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u) << "no extra outputs in the deterministic mode";
  EXPECT_NEAR(m->at("val_rel_l2"), 0.91900599002838135, 1e-5 * 0.91900599002838135);
  EXPECT_NEAR(m->at("val_identity_rel_l2"), 8.4066753387451172, 1e-5 * 8.4066753387451172);
}

TEST_F(Fno1dGaussianTest, GaussianModeAddsOnlyTheVarianceHeadAfterTheSameInitialWeights) {
  auto det = CreateFno1dWorkload(Heat(), WorkloadContext());
  auto gau = CreateFno1dWorkload(Gaussian(Heat()), WorkloadContext());
  ASSERT_TRUE(det.ok() && gau.ok());
  EXPECT_EQ(Count(**gau), Count(**det) + 64 + 1);
  std::vector<torch::Tensor> pd = (*det)->Parameters(), pg = (*gau)->Parameters();
  ASSERT_EQ(pg.size(), pd.size() + 2);
  for (size_t i = 0; i < pd.size(); ++i) EXPECT_TRUE(torch::equal(pd[i], pg[i])) << i;
}

TEST_F(Fno1dGaussianTest, VarianceIsPositiveAndFiniteEvenForExtremeFeatures) {
  Fno1d model(Fno1dOptions().modes(4).width(8).layers(2).gaussian(true));
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  for (double scale : {0.0, 1.0, 1e3}) {
    torch::Tensor x = scale * torch::randn({3, 16});
    GaussianOutput out = model->forward_gaussian(x);
    EXPECT_TRUE(torch::all(out.variance > 0).item<bool>()) << scale;
    EXPECT_TRUE(torch::all(torch::isfinite(out.variance)).item<bool>()) << scale;
    EXPECT_TRUE(torch::equal(out.mean, model->forward(x))) << "the mean is forward's output";
  }
  Fno1d plain(Fno1dOptions().modes(4).width(8).layers(2));
  EXPECT_THROW(plain->forward_gaussian(torch::zeros({1, 16})), c10::Error);
}

// The test: on the heat equation with observation noise (sd 0.01),
// NLL falls and after a short training (200 steps, ~13 epochs of 256 pairs)
// the 90% interval covers 0.9 +- 0.1 of the validation points. Seen here: 0.88
// at step 200 and 0.86-0.93 at every 100 steps up to 800 (band chosen with that
// spread in mind, not tuned to one run). Without noise the only uncertainty is
// the model's own error, which moves as it trains; the variance head lags it
// and coverage swings (0.54-1.0 in a Python replica), so no band is promised
// there.
TEST_F(Fno1dGaussianTest, NllFallsAndNinetyPercentIntervalCoversNinetyPercentOnHeat) {
  constexpr int64_t kSteps = 200;
  nlohmann::json p = Gaussian(Heat());
  p["noise"] = 0.01;
  auto w = CreateFno1dWorkload(p, WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  auto before = (*w)->Evaluate();
  ASSERT_TRUE(before.ok()) << before.status();
  std::vector<double> losses;
  for (int64_t done = 0; done < kSteps; done += 100) {
    std::vector<double> l = testing::Train(**w, 100, done);
    losses.insert(losses.end(), l.begin(), l.end());
    auto e = (*w)->Evaluate();
    ASSERT_TRUE(e.ok());
    std::printf("step %lld: loss %.3f val_nll %.3f cov90 %.3f cal %.3f sd %.4f rel %.4f\n",
                (long long)done + 100, testing::MeanOf(l, 80, 100), e->at("val_nll"),
                e->at("val_coverage90"), e->at("val_calibration_error"), e->at("val_mean_std"),
                e->at("val_rel_l2"));
  }
  const double first = testing::MeanOf(losses, 0, 5),
               last = testing::MeanOf(losses, kSteps - 20, kSteps);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  std::printf(
      "fno1d gaussian heat: train NLL %.3f -> %.3f; val_nll %.3f -> %.3f, coverage90 %.3f -> "
      "%.3f, calibration_error %.3f -> %.3f, mean sd %.4f -> %.4f, rel_l2 %.4f\n",
      first, last, before->at("val_nll"), m->at("val_nll"), before->at("val_coverage90"),
      m->at("val_coverage90"), before->at("val_calibration_error"), m->at("val_calibration_error"),
      before->at("val_mean_std"), m->at("val_mean_std"), m->at("val_rel_l2"));
  EXPECT_LT(last, first - 1.0) << "NLL per point falls by more than one nat";
  EXPECT_LT(m->at("val_nll"), before->at("val_nll") - 1.0);
  EXPECT_NEAR(m->at("val_coverage90"), 0.9, 0.1);
  EXPECT_LT(m->at("val_calibration_error"), 0.1);
  for (const auto& [name, value] : *m) EXPECT_TRUE(std::isfinite(value)) << name;
  // Calibrated and sharp: the untrained model is nearly calibrated too (it
  // starts close to the targets' marginal spread, sd ~0.1), so the predicted
  // sd must also have shrunk to the noise actually present (0.01; the mean
  // is learned well enough for the noise to dominate the error).
  EXPECT_GT(m->at("val_mean_std"), 0.5 * 0.01);
  EXPECT_LT(m->at("val_mean_std"), 1.5 * 0.01);
}

TEST_F(Fno1dGaussianTest, ResumeIsBitIdentical) {
  nlohmann::json p = Gaussian(Heat());
  p["train_size"] = 64;
  p["noise"] = 0.01;
  p["nll_beta"] = 0.5;
  testing::ExpectDeterministic([&] { return CreateFno1dWorkload(p, WorkloadContext()); }, 8);
  testing::ExpectResumeIsBitIdentical([&] { return CreateFno1dWorkload(p, WorkloadContext()); }, 4,
                                      4);
}

// 2 ranks' averaged gradients equal 1 rank's, in both modes (fno1d has no
// per-sample randomness; the losses are means over samples).
TEST_F(Fno1dGaussianTest, DataParallelGradientsMatchOneRankInBothModes) {
  for (const nlohmann::json& p : {Heat(), Gaussian(Heat())}) {
    SCOPED_TRACE(p.dump());
    testing::ExpectDataParallelEquivalent([&] { return CreateFno1dWorkload(p, WorkloadContext()); },
                                          16);
  }
}

TEST_F(Fno1dGaussianTest, NllBetaIsRefusedOutsideZeroToOne) {
  auto w = CreateFno1dWorkload(Gaussian({{"nll_beta", 1.5}}), WorkloadContext());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "/nll_beta");
  auto u = CreateFno1dWorkload({{"uncertainty", "ensemble"}}, WorkloadContext());
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().field(), "/uncertainty");
}

}  // namespace
}  // namespace hpsweep::models
