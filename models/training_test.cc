#include "models/training.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hpsweep::models {
namespace {

TEST(SampleNoiseTest, RowDependsOnlyOnSeedStepIndexAndStream) {
  // What makes 2 ranks see the noise 1 rank sees: sample 7's row is the same
  // whether it is drawn alone or inside a larger batch.
  SampleNoise big(1, 5, torch::tensor({3, 7, 9}, torch::kLong), torch::kCPU);
  SampleNoise alone(1, 5, torch::tensor({7}, torch::kLong), torch::kCPU);
  EXPECT_TRUE(torch::equal(big.Normal(0, {4})[1], alone.Normal(0, {4})[0]));
  EXPECT_TRUE(torch::equal(big.Uniform(2, {2, 2})[1], alone.Uniform(2, {2, 2})[0]));
  EXPECT_EQ(big.Integers(3, 100)[1].item<int64_t>(), alone.Integers(3, 100)[0].item<int64_t>());
  // Another step, seed or stream gives other noise.
  SampleNoise next_step(1, 6, torch::tensor({7}, torch::kLong), torch::kCPU);
  SampleNoise other_seed(2, 5, torch::tensor({7}, torch::kLong), torch::kCPU);
  EXPECT_FALSE(torch::equal(alone.Normal(0, {4}), next_step.Normal(0, {4})));
  EXPECT_FALSE(torch::equal(alone.Normal(0, {4}), other_seed.Normal(0, {4})));
  EXPECT_FALSE(torch::equal(alone.Normal(0, {4}), alone.Normal(1, {4})));
}

TEST(SampleNoiseTest, DrawsHaveTheirDistributionsAndRowsAreUncorrelated) {
  SampleNoise noise(3, 11, torch::arange(4096, torch::kLong), torch::kCPU);
  torch::Tensor z = noise.Normal(0, {2, 8}).to(torch::kDouble);  // [4096, 2, 8]
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 0.02);
  EXPECT_NEAR(z.std().item<double>(), 1.0, 0.02);
  // Standard normal tail: P(|z| > 2) = 0.0455.
  EXPECT_NEAR(z.abs().gt(2.0).to(torch::kDouble).mean().item<double>(), 0.0455, 0.006);
  torch::Tensor u = noise.Uniform(1, {16}).to(torch::kDouble);
  EXPECT_GE(u.min().item<double>(), 0.0);
  EXPECT_LT(u.max().item<double>(), 1.0);
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 0.01);
  EXPECT_NEAR(u.var().item<double>(), 1.0 / 12.0, 0.003);
  // Neighbouring rows, neighbouring values of a row and two streams are uncorrelated.
  auto corr = [](const torch::Tensor& a, const torch::Tensor& b) {
    torch::Tensor x = a.flatten() - a.mean(), y = b.flatten() - b.mean();
    return ((x * y).sum() / (x.norm() * y.norm())).item<double>();
  };
  torch::Tensor flat = z.reshape({4096, 16});
  EXPECT_LT(std::abs(corr(flat.slice(0, 0, 4095), flat.slice(0, 1, 4096))), 0.03);
  EXPECT_LT(std::abs(corr(flat.slice(1, 0, 15), flat.slice(1, 1, 16))), 0.03);
  EXPECT_LT(std::abs(corr(u, noise.Uniform(2, {16}).to(torch::kDouble))), 0.03);
  torch::Tensor k = noise.Integers(4, 10);
  EXPECT_GE(k.min().item<int64_t>(), 0);
  EXPECT_LE(k.max().item<int64_t>(), 9);
  EXPECT_NEAR(k.to(torch::kDouble).mean().item<double>(), 4.5, 0.15);
}

TEST(SampleNoiseTest, DropoutKeepsExpectationAndIsIdentityAtZero) {
  SampleNoise noise(0, 0, torch::arange(64, torch::kLong), torch::kCPU);
  torch::Tensor x = torch::ones({64, 100});
  EXPECT_TRUE(torch::equal(noise.Dropout(0, x, 0.0), x));
  torch::Tensor y = noise.Dropout(0, x, 0.25);
  EXPECT_NEAR(y.mean().item<double>(), 1.0, 0.03);
  EXPECT_NEAR(y.eq(0).to(torch::kDouble).mean().item<double>(), 0.25, 0.03);
}

TEST(WithInitSeedTest, SeedsInitAndRestoresGlobalGenerator) {
  torch::manual_seed(42);
  torch::Tensor expected_next = torch::rand({3});
  torch::manual_seed(42);
  torch::Tensor a, b;
  WithInitSeed(7, [&] { a = torch::nn::Linear(4, 4)->weight.clone(); });
  WithInitSeed(7, [&] { b = torch::nn::Linear(4, 4)->weight.clone(); });
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_TRUE(torch::equal(torch::rand({3}), expected_next));
  torch::Tensor c;
  WithInitSeed(8, [&] { c = torch::nn::Linear(4, 4)->weight.clone(); });
  EXPECT_FALSE(torch::equal(a, c));
}

TEST(TorchCallTest, ExceptionsBecomeInternalStatus) {
  Status s = TorchCall("multiplying", [] { torch::mm(torch::ones({2, 3}), torch::ones({2, 3})); });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message().rfind("multiplying: ", 0), 0u) << s.message();
  EXPECT_TRUE(TorchCall("nothing", [] {}).ok());
}

TEST(GeluTest, MatchesTorchGeluAndHasCorrectGradients) {
  torch::Tensor x = torch::linspace(-4, 4, 101, torch::kDouble).requires_grad_();
  EXPECT_TRUE(torch::allclose(Gelu(x), torch::gelu(x), 1e-10, 1e-12));
  // Gradient through a transpose into a Linear (where torch::gelu fails).
  torch::Tensor h = torch::randn({2, 3, 5}, torch::kDouble).requires_grad_();
  torch::Tensor w = torch::randn({3, 3}, torch::kDouble);
  auto f = [&](const torch::Tensor& in) {
    return torch::matmul(Gelu(in).transpose(1, 2), w).pow(2).sum();
  };
  f(h).backward();
  torch::Tensor analytic = h.grad().clone();
  // Central differences on one element.
  const double eps = 1e-6;
  torch::Tensor hp = h.detach().clone(), hm = h.detach().clone();
  hp[1][2][3] += eps;
  hm[1][2][3] -= eps;
  const double numeric = (f(hp) - f(hm)).item<double>() / (2 * eps);
  EXPECT_NEAR(analytic[1][2][3].item<double>(), numeric, 1e-5);
}

}  // namespace
}  // namespace hpsweep::models
