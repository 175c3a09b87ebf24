#include "models/fno1d.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "models/workload_testing.h"

namespace hpsweep::models {
namespace {

using testing::MeanOf;
using testing::Train;

class Fno1dTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  static nlohmann::json Small(const std::string& pde) {
    return {{"pde", pde},       {"grid", 32},       {"modes", 8},        {"width", 16},
            {"layers", 2},      {"viscosity", 0.1}, {"train_size", 256}, {"val_size", 64},
            {"batch_size", 16}, {"lr", 3e-3}};
  }
};

TEST_F(Fno1dTest, LearnsBurgersAndBeatsBaselines) {
  auto w = CreateFno1dWorkload(Small("burgers"), WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<double> losses = Train(**w, 200);
  const double first = MeanOf(losses, 0, 5), last = MeanOf(losses, 180, 200);
  std::printf("fno1d burgers: loss %.4f -> %.4f\n", first, last);
  EXPECT_LT(last, 0.3 * first);
  auto m = (*w)->Evaluate();
  ASSERT_TRUE(m.ok()) << m.status();
  // The mean predictor: the mean training solution for every input.
  PdeData train = GeneratePdeData("burgers", 256, 32, 0.1, 0.5, 0, 0);
  PdeData val = GeneratePdeData("burgers", 64, 32, 0.1, 0.5, 0, 1);
  torch::Tensor mean = train.ut.mean(0, true).expand_as(val.ut);
  const double mean_rel =
      ((mean - val.ut).norm(2, {1}) / val.ut.norm(2, {1})).mean().item<double>();
  std::printf("fno1d burgers: val_rel_l2 %.4f vs mean predictor %.4f, identity %.4f\n",
              m->at("val_rel_l2"), mean_rel, m->at("val_identity_rel_l2"));
  EXPECT_LT(m->at("val_rel_l2"), 0.3 * mean_rel);
  EXPECT_LT(m->at("val_rel_l2"), m->at("val_identity_rel_l2"));
}

TEST_F(Fno1dTest, HeatSolverMatchesAnalyticSolution) {
  // One data sample against the closed form of a single Fourier mode is hard
  // to construct from the random generator, so check decay rates instead:
  // each mode k decays by exp(-nu (2 pi k)^2 t).
  PdeData d = GeneratePdeData("heat", 4, 64, 0.01, 0.3, 1, 0);
  torch::Tensor f0 = torch::fft::rfft(d.u0.to(torch::kDouble), c10::nullopt, 1).abs();
  torch::Tensor ft = torch::fft::rfft(d.ut.to(torch::kDouble), c10::nullopt, 1).abs();
  for (int k = 1; k <= 3; ++k) {
    const double expected = std::exp(-0.01 * std::pow(2 * M_PI * k, 2) * 0.3);
    torch::Tensor ratio = ft.select(1, k) / f0.select(1, k);
    EXPECT_NEAR(ratio.mean().item<double>(), expected, 1e-4) << "mode " << k;
  }
}

TEST_F(Fno1dTest, BurgersConservesMeanAndDissipatesEnergy) {
  PdeData d = GeneratePdeData("burgers", 8, 64, 0.1, 0.5, 2, 0);
  EXPECT_TRUE(torch::allclose(d.u0.mean(1), d.ut.mean(1), 1e-4, 1e-5));
  EXPECT_TRUE(torch::all(d.ut.pow(2).sum(1) < d.u0.pow(2).sum(1)).item<bool>());
  EXPECT_FALSE(torch::any(torch::isnan(d.ut)).item<bool>());
}

TEST_F(Fno1dTest, GeneratorIsDeterministicBySeed) {
  PdeData a = GeneratePdeData("burgers", 4, 32, 0.1, 0.2, 1, 0);
  PdeData b = GeneratePdeData("burgers", 4, 32, 0.1, 0.2, 1, 0);
  PdeData c = GeneratePdeData("burgers", 4, 32, 0.1, 0.2, 2, 0);
  EXPECT_TRUE(torch::equal(a.u0, b.u0));
  EXPECT_TRUE(torch::equal(a.ut, b.ut));
  EXPECT_FALSE(torch::equal(a.u0, c.u0));
}

// The worker gives every trial of a sweep one data seed and its own seed
// (worker/trial_seeds.h): trials train on the same samples from different
// initial weights. The second and third workloads find the data cached.
TEST_F(Fno1dTest, DataFollowsTheDataSeedAndWeightsTheSeed) {
  nlohmann::json p = Small("burgers");
  p["train_size"] = 16;
  p["val_size"] = 16;
  auto make = [&](uint64_t seed, uint64_t data_seed) {
    WorkloadContext ctx;
    ctx.seed = seed;
    ctx.data_seed = data_seed;
    auto w = CreateFno1dWorkload(p, ctx);
    EXPECT_TRUE(w.ok()) << w.status();
    return std::move(w).value();
  };
  auto identity_error = [](Workload& w) {
    auto m = w.Evaluate();
    EXPECT_TRUE(m.ok()) << m.status();
    return m->at("val_identity_rel_l2");
  };
  auto a = make(1, 7), b = make(2, 7), c = make(1, 8);
  EXPECT_EQ(identity_error(*a), identity_error(*b));
  EXPECT_NE(identity_error(*a), identity_error(*c));
  EXPECT_FALSE(torch::equal(a->Parameters()[0], b->Parameters()[0]));
  EXPECT_TRUE(torch::equal(a->Parameters()[0], c->Parameters()[0]));
}

TEST_F(Fno1dTest, ResumeIsBitIdentical) {
  nlohmann::json p = Small("heat");
  p["train_size"] = 64;
  testing::ExpectDeterministic([&] { return CreateFno1dWorkload(p, WorkloadContext()); }, 8);
  testing::ExpectResumeIsBitIdentical([&] { return CreateFno1dWorkload(p, WorkloadContext()); }, 4,
                                      4);
}

TEST_F(Fno1dTest, ModesBoundedByGrid) {
  auto w = CreateFno1dWorkload({{"grid", 16}, {"modes", 12}}, WorkloadContext());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.status().field(), "/modes");
}

}  // namespace
}  // namespace hpsweep::models

namespace hpsweep::models {
namespace {

TEST(SpectralConv1dTest, MatchesFftDefinition) {
  torch::manual_seed(0);
  for (int64_t modes : {3, 9}) {  // 9 = N / 2 + 1 includes the Nyquist mode
    SpectralConv1d conv(2, 3, modes);
    // One module, lengths and dtypes in turn: the cached DFT matrices
    // follow the input (a length of 18 puts mode 9 below the Nyquist one).
    for (const auto& [n, dtype] : std::vector<std::pair<int64_t, torch::Dtype>>{
             {16, torch::kFloat}, {18, torch::kFloat}, {16, torch::kDouble}, {16, torch::kFloat}}) {
      torch::Tensor x = torch::randn({4, 2, n}, dtype);
      torch::Tensor w = torch::view_as_complex(
          conv->named_parameters()["weight"].detach().clone().to(torch::kDouble));
      torch::Tensor xf = torch::fft::rfft(x.to(torch::kDouble), c10::nullopt, 2).slice(2, 0, modes);
      torch::Tensor yf = torch::einsum("bim,iom->bom", {xf, w});
      torch::Tensor full = torch::zeros({4, 3, n / 2 + 1}, yf.options());
      full.slice(2, 0, modes).copy_(yf);
      torch::Tensor expected = torch::fft::irfft(full, n, 2);
      conv->to(dtype);
      torch::Tensor got = conv->forward(x);
      EXPECT_EQ(got.scalar_type(), dtype);
      EXPECT_TRUE(torch::allclose(got.to(torch::kDouble), expected, 1e-4, 1e-5))
          << "modes " << modes << " n " << n << " " << dtype;
    }
  }
}

// The gradients of the matrix form are the FFT definition's (autograd
// through both).
TEST(SpectralConv1dTest, GradientsMatchFftDefinition) {
  torch::manual_seed(1);
  const int64_t modes = 5, n = 16;
  SpectralConv1d conv(3, 2, modes);
  conv->to(torch::kDouble);
  torch::Tensor x = torch::randn({2, 3, n}, torch::kDouble).requires_grad_();
  torch::Tensor weight = conv->named_parameters()["weight"];
  conv->forward(x).pow(2).sum().backward();
  const torch::Tensor gx = x.grad().clone(), gw = weight.grad().clone();
  x.grad().zero_();
  torch::Tensor wd = weight.detach().clone().requires_grad_();
  torch::Tensor xf = torch::fft::rfft(x, c10::nullopt, 2).slice(2, 0, modes);
  torch::Tensor yf = torch::einsum("bim,iom->bom", {xf, torch::view_as_complex(wd)});
  torch::Tensor full = torch::zeros({2, 2, n / 2 + 1}, yf.options());
  full.slice(2, 0, modes).copy_(yf);
  torch::fft::irfft(full, n, 2).pow(2).sum().backward();
  EXPECT_TRUE(torch::allclose(gx, x.grad(), 1e-9, 1e-10));
  EXPECT_TRUE(torch::allclose(gw, wd.grad(), 1e-9, 1e-10));
}

}  // namespace
}  // namespace hpsweep::models

namespace hpsweep::models {
namespace {

// Guards the reason fno1d uses Gelu: gradients through the whole operator must
// be repeatable (torch::gelu's were not, with a transposed consumer).
TEST(Fno1dGradTest, GradientsAreRepeatable) {
  torch::set_num_threads(1);
  auto w = CreateFno1dWorkload({{"grid", 32}, {"modes", 8}, {"width", 8}, {"layers", 2}},
                               WorkloadContext());
  ASSERT_TRUE(w.ok()) << w.status();
  torch::Tensor idx = torch::arange(8, torch::kLong);
  std::vector<torch::Tensor> first;
  for (int r = 0; r < 2; ++r) {
    (*w)->optimizer().zero_grad();
    auto loss = (*w)->TrainLoss(idx);
    ASSERT_TRUE(loss.ok()) << loss.status();
    loss->backward();
    std::vector<torch::Tensor> p = (*w)->Parameters();
    for (size_t i = 0; i < p.size(); ++i) {
      if (r == 0) {
        first.push_back(p[i].grad().clone());
      } else {
        EXPECT_TRUE(torch::equal(first[i], p[i].grad())) << "parameter " << i;
      }
    }
  }
}

}  // namespace
}  // namespace hpsweep::models
