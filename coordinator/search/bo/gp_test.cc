#include "coordinator/search/bo/gp.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hpsweep::coordinator::bo {
namespace {

torch::TensorOptions F64() { return torch::TensorOptions().dtype(torch::kFloat64); }

double Matern(double r, double ls, double s) {
  const double t = std::sqrt(5.0) * std::abs(r) / ls;
  return s * (1 + t + t * t / 3) * std::exp(-t);
}

TEST(GpTest, PosteriorMatchesClosedFormOnTwoPoints) {
  GpHyperparameters hp;
  hp.lengthscales = {0.3};
  hp.outputscale = 1.7;
  hp.noise = 0.01;
  hp.mean = 0.2;
  const double x1 = 0.1, x2 = 0.5, y1 = 1.0, y2 = -0.5, xs = 0.3;
  auto model = GpModel::Create(torch::tensor({x1, x2}, F64()).unsqueeze(1), torch::tensor({y1, y2}, F64()), hp);
  ASSERT_TRUE(model.ok()) << model.status();
  const auto [mean, var] = model->Posterior(torch::tensor({xs}, F64()).unsqueeze(1));

  // K = [[a, b], [b, c]] + noise I, inverted by hand.
  const double a = Matern(0, 0.3, 1.7) + hp.noise, c = a, b = Matern(x1 - x2, 0.3, 1.7);
  const double det = a * c - b * b;
  const double i11 = c / det, i12 = -b / det, i22 = a / det;
  const double k1 = Matern(xs - x1, 0.3, 1.7), k2 = Matern(xs - x2, 0.3, 1.7);
  const double r1 = y1 - hp.mean, r2 = y2 - hp.mean;
  const double want_mean = hp.mean + k1 * (i11 * r1 + i12 * r2) + k2 * (i12 * r1 + i22 * r2);
  const double want_var = 1.7 - (k1 * (i11 * k1 + i12 * k2) + k2 * (i12 * k1 + i22 * k2));
  EXPECT_NEAR(mean.item<double>(), want_mean, 1e-12);
  EXPECT_NEAR(var.item<double>(), want_var, 1e-12);
}

TEST(GpTest, PosteriorMatchesClosedFormInTwoDimensionsWithArd) {
  GpHyperparameters hp;
  hp.lengthscales = {0.2, 2.0};
  hp.outputscale = 0.8;
  hp.noise = 1e-3;
  hp.mean = 0.0;
  auto model = GpModel::Create(torch::tensor({0.4, 0.9}, F64()).unsqueeze(0), torch::tensor({0.7}, F64()), hp);
  ASSERT_TRUE(model.ok());
  const auto [mean, var] = model->Posterior(torch::tensor({0.5, 0.1}, F64()).unsqueeze(0));
  const double r = std::sqrt(std::pow(0.1 / 0.2, 2) + std::pow(0.8 / 2.0, 2));
  const double k = Matern(r, 1.0, 0.8), kk = 0.8 + 1e-3;
  EXPECT_NEAR(mean.item<double>(), k / kk * 0.7, 1e-12);
  EXPECT_NEAR(var.item<double>(), 0.8 - k * k / kk, 1e-12);
}

TEST(GpTest, PosteriorInterpolatesWithSmallNoiseAndGradientIsFinite) {
  GpHyperparameters hp;
  hp.lengthscales = {0.5, 0.5};
  hp.noise = 1e-8;
  const auto x = torch::tensor({0.1, 0.2, 0.8, 0.7, 0.5, 0.5}, F64()).view({3, 2});
  const auto y = torch::tensor({1.0, -1.0, 0.3}, F64());
  auto model = GpModel::Create(x, y, hp);
  ASSERT_TRUE(model.ok());
  auto xq = x.clone().requires_grad_(true);
  const auto [mean, var] = model->Posterior(xq);
  EXPECT_TRUE(torch::allclose(mean, y, 1e-5, 1e-6));
  EXPECT_LT(var.max().item<double>(), 1e-6);
  (mean.sum() + var.sum()).backward();
  EXPECT_TRUE(torch::isfinite(xq.grad()).all().item<bool>());
}

// PosteriorWithGradient at q equals Posterior there, and its gradients equal
// autograd through Posterior.
void ExpectClosedFormGradientMatchesAutograd(const GpModel& model, const torch::Tensor& q) {
  auto xq = q.clone().requires_grad_(true);
  {
    torch::AutoGradMode grad(true);
    model.Posterior(xq).first.sum().backward();
  }
  const auto want_d_mean = xq.grad().clone();
  xq.mutable_grad().zero_();
  {
    torch::AutoGradMode grad(true);
    model.Posterior(xq).second.sum().backward();
  }
  const auto want_d_var = xq.grad().clone();
  const auto got = model.PosteriorWithGradient(q);
  const auto [mean, var] = model.Posterior(q);
  EXPECT_TRUE(torch::allclose(got.mean, mean, 1e-10, 1e-12));
  EXPECT_TRUE(torch::allclose(got.variance, var, 1e-9, 1e-12));
  EXPECT_TRUE(torch::allclose(got.d_mean, want_d_mean, 1e-7, 1e-9)) << got.d_mean << want_d_mean;
  EXPECT_TRUE(torch::allclose(got.d_variance, want_d_var, 1e-7, 1e-9))
      << got.d_variance << want_d_var;
}

// The closed-form gradient equals autograd through Posterior, away from the
// training points (where the variance is clamped and r = 0).
TEST(GpTest, PosteriorWithGradientMatchesAutograd) {
  GpHyperparameters hp;
  hp.lengthscales = {0.3, 0.9, 0.5};
  hp.outputscale = 1.4;
  hp.noise = 1e-4;
  hp.mean = 0.2;
  torch::manual_seed(3);  // only for drawing the data
  const auto x = torch::rand({25, 3}, F64());
  const auto y = torch::sin(6 * x.select(1, 0)) + x.select(1, 1);
  auto model = GpModel::Create(x, y, hp);
  ASSERT_TRUE(model.ok());
  ExpectClosedFormGradientMatchesAutograd(*model, torch::rand({6, 3}, F64()));
}

// A model with the additive part (GpFitOptions::additive) on 25 points in 3-D.
GpHyperparameters AdditiveHyperparameters() {
  GpHyperparameters hp;
  hp.lengthscales = {0.3, 0.9, 0.5};
  hp.outputscale = 0.6;
  hp.noise = 1e-4;
  hp.mean = 0.2;
  hp.additive_lengthscales = {0.2, 0.4, 1.1};
  hp.additive_scale = 0.9;
  return hp;
}

TEST(GpTest, AdditivePartIsTheMeanOfOneCoordinateKernels) {
  const auto a = torch::tensor({0.1, 0.7, 0.3, 0.2, 0.9, 0.5}, F64()).view({2, 3});
  const auto b = torch::tensor({0.4, 0.4, 0.0}, F64()).view({1, 3});
  const std::vector<double> ls = {0.2, 0.4, 1.1};
  const auto k = AdditiveMatern52(a, b, torch::tensor(ls, F64()), torch::full({}, 0.9, F64()));
  ASSERT_EQ(k.sizes(), (std::vector<int64_t>{2, 1}));
  for (int i = 0; i < 2; ++i) {
    double want = 0;
    for (int c = 0; c < 3; ++c) {
      want += Matern(a[i][c].item<double>() - b[0][c].item<double>(), ls[c], 0.9) / 3;
    }
    EXPECT_NEAR(k[i][0].item<double>(), want, 1e-12);
  }
}

// The prior variance is the sum of the two parts: far from every training
// point the posterior returns to it.
TEST(GpTest, AdditivePartAddsItsVarianceToThePrior) {
  const GpHyperparameters hp = AdditiveHyperparameters();
  auto model = GpModel::Create(torch::zeros({1, 3}, F64()), torch::zeros({1}, F64()), hp);
  ASSERT_TRUE(model.ok()) << model.status();
  // Corner (1, 1, 1) is 5 product lengthscales away but only ~1 additive
  // lengthscale in the last coordinate: check against the closed form.
  const auto q = torch::ones({1, 3}, F64());
  const auto [mean, var] = model->Posterior(q);
  const auto zero = torch::zeros({1, 3}, F64());
  const double k_qx = (Matern52(q, zero, torch::tensor(hp.lengthscales, F64()),
                                torch::full({}, hp.outputscale, F64())) +
                       AdditiveMatern52(q, zero, torch::tensor(hp.additive_lengthscales, F64()),
                                        torch::full({}, hp.additive_scale, F64())))
                          .item<double>();
  const double prior = hp.outputscale + hp.additive_scale;
  EXPECT_NEAR(var.item<double>(), prior - k_qx * k_qx / (prior + hp.noise), 1e-12);
  EXPECT_NEAR(mean.item<double>(), hp.mean + k_qx / (prior + hp.noise) * (0 - hp.mean), 1e-12);
}

TEST(GpTest, PosteriorWithGradientMatchesAutogradWithTheAdditivePart) {
  torch::manual_seed(5);  // only for drawing the data
  const auto x = torch::rand({25, 3}, F64());
  const auto y = torch::sin(6 * x.select(1, 0)) + x.select(1, 1);
  auto model = GpModel::Create(x, y, AdditiveHyperparameters());
  ASSERT_TRUE(model.ok());
  ExpectClosedFormGradientMatchesAutograd(*model, torch::rand({6, 3}, F64()));
}

// The closed form equals refitting without each point in turn (same
// hyperparameters) and scoring it under the predictive with noise.
TEST(GpTest, LooLogPredictiveEqualsLeavingEachPointOut) {
  torch::manual_seed(9);  // only for drawing the data
  const auto x = torch::rand({12, 3}, F64());
  const auto y = torch::cos(5 * x.select(1, 2)) + x.select(1, 0);
  const GpHyperparameters hp = AdditiveHyperparameters();
  auto model = GpModel::Create(x, y, hp);
  ASSERT_TRUE(model.ok());
  double want = 0;
  for (int64_t i = 0; i < 12; ++i) {
    const auto keep = torch::cat({torch::arange(0, i), torch::arange(i + 1, 12)});
    auto rest = GpModel::Create(x.index_select(0, keep), y.index_select(0, keep), hp);
    ASSERT_TRUE(rest.ok());
    const auto [m, v] = rest->Posterior(x.slice(0, i, i + 1));
    const double var = v.item<double>() + hp.noise;
    const double r = y[i].item<double>() - m.item<double>();
    want += -0.5 * std::log(2 * M_PI * var) - r * r / (2 * var);
  }
  EXPECT_NEAR(model->LooLogPredictive().sum().item<double>(), want, 1e-8 * std::abs(want));
}

// On a sum of one-coordinate functions the fit keeps the additive part, which
// predicts held-out points better than the product kernel alone; without
// GpFitOptions::additive it has none.
TEST(GpTest, FitKeepsTheAdditivePartWhereItPredictsBetter) {
  torch::manual_seed(2);  // only for drawing the data
  const auto x = torch::rand({60, 5}, F64());
  auto y = torch::sin(9 * x).sum(1);
  y = (y - y.mean()) / y.std();
  GpFitOptions options;
  auto hp = FitGpHyperparameters(x, y, options, 4);
  ASSERT_TRUE(hp.ok()) << hp.status();
  ASSERT_EQ(hp->additive_lengthscales.size(), 5u);
  EXPECT_GT(hp->additive_scale, hp->outputscale);
  options.additive = false;
  auto product = FitGpHyperparameters(x, y, options, 4);
  ASSERT_TRUE(product.ok());
  EXPECT_TRUE(product->additive_lengthscales.empty());
  EXPECT_EQ(product->additive_scale, 0.0);
  auto with = GpModel::Create(x, y, *hp);
  auto without = GpModel::Create(x, y, *product);
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_GT(with->LooLogPredictive().sum().item<double>(),
            without->LooLogPredictive().sum().item<double>());
}

// A warm start refits its own kernel only: the choice is made by full fits.
TEST(GpTest, WarmStartKeepsItsKernel) {
  torch::manual_seed(2);  // only for drawing the data
  const auto x = torch::rand({40, 3}, F64());
  auto y = torch::sin(9 * x).sum(1);
  y = (y - y.mean()) / y.std();
  GpHyperparameters product;
  product.lengthscales = {0.5, 0.5, 0.5};
  auto from_product = FitGpHyperparameters(x, y, GpFitOptions{}, 1, &product);
  ASSERT_TRUE(from_product.ok()) << from_product.status();
  EXPECT_TRUE(from_product->additive_lengthscales.empty());
  GpHyperparameters joint = product;
  joint.additive_lengthscales = {0.5, 0.5, 0.5};
  joint.additive_scale = 0.5;
  auto from_joint = FitGpHyperparameters(x, y, GpFitOptions{}, 1, &joint);
  ASSERT_TRUE(from_joint.ok()) << from_joint.status();
  EXPECT_EQ(from_joint->additive_lengthscales.size(), 3u);
  EXPECT_GT(from_joint->additive_scale, 0.0);
  // One start (the checkpoints' warm refits): the additive lengthscales stay
  // as they were; the rest moves.
  GpFitOptions one;
  one.restarts = 1;
  auto refit = FitGpHyperparameters(x, y, one, 1, &joint);
  ASSERT_TRUE(refit.ok()) << refit.status();
  EXPECT_EQ(refit->additive_lengthscales, joint.additive_lengthscales);
  EXPECT_NE(refit->additive_scale, joint.additive_scale);
  EXPECT_NE(refit->lengthscales, joint.lengthscales);
}

// Where the function is one narrow bump (no coordinate matters alone), the
// product kernel's held-out predictions win and the fit has no additive part.
TEST(GpTest, FitDropsTheAdditivePartWhereItDoesNotPredict) {
  torch::manual_seed(3);  // only for drawing the data
  const auto x = torch::rand({60, 4}, F64());
  auto y = -torch::exp(-(x - 0.5).pow(2).sum(1) / 0.08) * torch::cos(8 * (x.sum(1) - 2));
  y = (y - y.mean()) / y.std();
  auto hp = FitGpHyperparameters(x, y, GpFitOptions{}, 4);
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_TRUE(hp->additive_lengthscales.empty());
}

TEST(GpTest, ConditionEqualsCreateOnTheUnion) {
  GpHyperparameters hp;
  hp.lengthscales = {0.4};
  const auto x = torch::tensor({0.1, 0.6, 0.9}, F64()).unsqueeze(1);
  const auto y = torch::tensor({0.5, -0.2, 0.1}, F64());
  auto a = GpModel::Create(x.slice(0, 0, 2), y.slice(0, 0, 2), hp);
  ASSERT_TRUE(a.ok());
  auto b = a->Condition(x.slice(0, 2), y.slice(0, 2));
  auto c = GpModel::Create(x, y, hp);
  ASSERT_TRUE(b.ok() && c.ok());
  const auto q = torch::linspace(0, 1, 7, F64()).unsqueeze(1);
  EXPECT_TRUE(torch::allclose(b->Posterior(q).first, c->Posterior(q).first));
  EXPECT_TRUE(torch::allclose(b->Posterior(q).second, c->Posterior(q).second));
}

TEST(GpTest, FitFindsShortLengthscaleForTheWigglyDimensionOnly) {
  // y = sin(12 x0) + 0 * x1 on 40 points: x0 needs a short lengthscale, x1 a
  // long one; the fit must be deterministic by seed. The product kernel
  // alone here (a function of one coordinate is also additive: the test
  // below has the additive part).
  torch::manual_seed(0);  // only for drawing the data
  const auto x = torch::rand({40, 2}, F64());
  auto y = torch::sin(12.0 * x.select(1, 0));
  y = (y - y.mean()) / y.std();
  GpFitOptions options;
  options.additive = false;
  auto hp = FitGpHyperparameters(x, y, options, 7);
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_LT(hp->lengthscales[0], 0.5);
  EXPECT_GT(hp->lengthscales[1], 2.0 * hp->lengthscales[0]);
  EXPECT_LT(hp->noise, 0.05);
  auto again = FitGpHyperparameters(x, y, options, 7);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->lengthscales, hp->lengthscales);
  EXPECT_EQ(again->noise, hp->noise);
}

TEST(GpTest, AdditiveFitFindsShortLengthscaleForTheWigglyDimensionOnly) {
  torch::manual_seed(0);  // only for drawing the data
  const auto x = torch::rand({40, 2}, F64());
  auto y = torch::sin(12.0 * x.select(1, 0));
  y = (y - y.mean()) / y.std();
  auto hp = FitGpHyperparameters(x, y, GpFitOptions{}, 7);
  ASSERT_TRUE(hp.ok()) << hp.status();
  ASSERT_EQ(hp->additive_lengthscales.size(), 2u);
  EXPECT_LT(hp->additive_lengthscales[0], 0.5);
  EXPECT_GT(hp->additive_lengthscales[1], 2.0 * hp->additive_lengthscales[0]);
}

TEST(GpTest, FitOnSubsetAboveMaxFitPoints) {
  torch::manual_seed(1);
  const auto x = torch::rand({60, 3}, F64());
  const auto y = (x - 0.5).pow(2).sum(1);
  GpFitOptions options;
  options.max_fit_points = 20;
  options.restarts = 2;
  auto hp = FitGpHyperparameters(x, (y - y.mean()) / y.std(), options, 3);
  ASSERT_TRUE(hp.ok()) << hp.status();
  for (double l : hp->lengthscales) EXPECT_TRUE(std::isfinite(l) && l > 0);
}

TEST(GpTest, InvalidOptionsAreRejected) {
  GpFitOptions options;
  options.min_noise = 0;
  EXPECT_EQ(FitGpHyperparameters(torch::zeros({2, 1}, F64()), torch::zeros({2}, F64()), options, 0).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
