// GPU checks of the worker's training path: zoo models on the device, NCCL
// collectives, CUDA RNG state in checkpoints, bf16 autocast, device choice.
//
// Runs on a CUDA device when LibTorch sees one, else on the CPU (what Bazel
// runs here, and tools/gpu/run_gpu_checks.sh's CPU fallback): the
// device-independent halves then still run and the CUDA-only tests skip.
// HPSWEEP_REQUIRE_CUDA=1 turns "no CUDA device" into a failure, so a GPU run
// that silently fell back to the CPU cannot pass.
//
// Environment: HPSWEEP_REPO_ROOT (default: working directory) locates
// models/testdata for the torchscript model; HPSWEEP_EXPECT_VISIBLE_DEVICES
// (unset: not checked) is the device count the device test must see.
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "models/workload.h"
#include "worker/autocast.h"
#include "worker/checkpoint.h"
#include "worker/collectives.h"
#include "worker/device.h"
#include "worker/routed_collectives.h"
#include "worker/solo_collectives.h"
#include "worker/trainer.h"
#ifdef HPSWEEP_HAVE_NCCL
#include "worker/nccl_collectives.h"
#endif

namespace hpsweep::worker {
namespace {

bool HaveCuda() { return torch::cuda::is_available() && torch::cuda::device_count() > 0; }

torch::Device TestDevice() { return HaveCuda() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU); }

std::string RepoRoot() {
  const char* root = std::getenv("HPSWEEP_REPO_ROOT");
  return root != nullptr ? root : ".";
}

// The gang a GPU rank trains with: host control plane + NCCL for CUDA
// tensors (world size 1 here: one process); CPU runs use the host alone.
class DeviceGang {
 public:
  DeviceGang() {
#ifdef HPSWEEP_HAVE_NCCL
    if (HaveCuda()) {
      auto nccl = NcclCollectives::Create(&host_, 0);
      if (!nccl.ok()) {
        status_ = nccl.status();
        return;
      }
      nccl_ = std::move(*nccl);
      routed_ = std::make_unique<RoutedCollectives>(&host_, nccl_.get());
    }
#endif
  }
  Status status() const { return status_; }
  Collectives* comm() { return routed_ ? static_cast<Collectives*>(routed_.get()) : &host_; }
  bool uses_nccl() const { return routed_ != nullptr; }

 private:
  SoloCollectives host_;
  std::unique_ptr<Collectives> nccl_;
  std::unique_ptr<RoutedCollectives> routed_;
  Status status_;
};

TEST(EnvironmentTest, ReportsDevice) {
  const bool require = std::getenv("HPSWEEP_REQUIRE_CUDA") != nullptr &&
                       std::string(std::getenv("HPSWEEP_REQUIRE_CUDA")) == "1";
  std::printf("device=%s cuda_devices=%d nccl=%s %s\n", TestDevice().str().c_str(),
              static_cast<int>(torch::cuda::device_count()),
#ifdef HPSWEEP_HAVE_NCCL
              "compiled",
#else
              "not-compiled",
#endif
              DescribeVisibleDevices().c_str());
  if (require) {
    EXPECT_TRUE(HaveCuda()) << "HPSWEEP_REQUIRE_CUDA=1 but LibTorch sees no CUDA device";
#ifndef HPSWEEP_HAVE_NCCL
    ADD_FAILURE() << "HPSWEEP_REQUIRE_CUDA=1 but built without NCCL";
#endif
  }
}

// ---- every zoo model trains on the device -------------------------------

// Default sizes on a GPU; on the CPU (Bazel, the fallback) the slowest
// models shrink, so that the check stays a code-path check of seconds (the
// models' own tests train them at length on the CPU).
nlohmann::json ParamsFor(const std::string& model) {
  if (!HaveCuda()) {
    if (model == "ctgan") {
      return {{"generator_dims", {64}}, {"discriminator_dims", {64}}, {"embedding_dim", 16}};
    }
    if (model == "fno1d") return {{"grid", 32}, {"modes", 8}, {"width", 16}};
    if (model == "lstm_freq") return {{"hidden_size", 32}, {"num_layers", 1}, {"length", 200}};
    if (model == "transformer_cls") return {{"d_model", 32}, {"heads", 2}, {"layers", 1}, {"ff_dim", 64}};
  }
  if (model == "torchscript") {
    return {{"module", "models/testdata/tiny_regressor.pt"},
            {"train_data", "models/testdata/regression.npy"},
            {"lr", 0.01},
            {"batch_size", 32}};
  }
  return nlohmann::json::object();
}

class ZooOnDeviceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooOnDeviceTest, LossIsFiniteAndFalls) {
  const std::string model = GetParam();
  if (model == "torchscript" &&
      !std::ifstream(RepoRoot() + "/models/testdata/tiny_regressor.pt").good()) {
    GTEST_SKIP() << "no models/testdata under HPSWEEP_REPO_ROOT=" << RepoRoot();
  }
  models::WorkloadContext ctx;
  ctx.device = TestDevice();
  ctx.seed = 3;
  ctx.base_dir = RepoRoot();
  auto w = models::CreateWorkload(model, ParamsFor(model), ctx);
  ASSERT_TRUE(w.ok()) << w.status();
  for (const torch::Tensor& p : (*w)->Parameters()) {
    ASSERT_EQ(p.device(), ctx.device) << model << " left a parameter on " << p.device();
  }
  // One fixed batch, trained on repeatedly: its loss must fall.
  const int64_t batch = std::min((*w)->BatchSize(), (*w)->TrainSize());
  torch::Tensor indices = torch::arange(batch, torch::kLong);
  const int steps = 60;
  std::vector<double> losses;
  // Every update of a step on its own group (one for most models; a GAN's
  // critic and generator), as the trainer runs them; the loss followed is
  // the first update's (a GAN's critic loss, which falls as the critic learns).
  std::vector<models::ParamGroup> groups = (*w)->Groups();
  const std::vector<int> updates = (*w)->StepUpdates();
  for (int s = 0; s < steps; ++s) {
    for (size_t u = 0; u < updates.size(); ++u) {
      torch::optim::Optimizer& opt = *groups.at(static_cast<size_t>(updates[u])).optimizer;
      opt.zero_grad();
      auto loss = (*w)->UpdateLoss(static_cast<int>(u), indices);
      ASSERT_TRUE(loss.ok()) << model << " step " << s << ": " << loss.status();
      ASSERT_EQ(loss->device(), ctx.device);
      loss->backward();
      opt.step();
      if (u == 0) losses.push_back(loss->item<double>());
      ASSERT_TRUE(std::isfinite(loss->item<double>())) << model << " step " << s;
    }
    (*w)->EndStep();
  }
  double first = 0, last = 0;
  for (int i = 0; i < 10; ++i) first += losses[i] / 10, last += losses[steps - 10 + i] / 10;
  std::printf("zoo model=%s device=%s loss %.5f -> %.5f\n", model.c_str(), ctx.device.str().c_str(),
              first, last);
  EXPECT_LT(last, first) << model << ": loss did not fall";
  auto metrics = (*w)->Evaluate();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  for (const auto& [name, value] : *metrics) EXPECT_TRUE(std::isfinite(value)) << name;
}

std::vector<std::string> ZooModelNames() {
  std::vector<std::string> names;
  for (const models::ModelInfo& info : models::ListModels()) names.push_back(info.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooOnDeviceTest, ::testing::ValuesIn(ZooModelNames()),
                         [](const auto& info) { return info.param; });

// ---- the trainer on the device: data-parallel path, checkpoint, resume ---

// A workload whose training draws from the device's default generator
// (dropout on a GPU uses the CUDA generator), so a resume continues the same
// only when the checkpoint restored that generator's state.
class DropoutRegression final : public models::Workload {
 public:
  explicit DropoutRegression(torch::Device device) : device_(device) {
    torch::manual_seed(11);
    net_ = torch::nn::Sequential(torch::nn::Linear(16, 64), torch::nn::ReLU(),
                                 torch::nn::Linear(64, 1));
    net_->to(device_);
    x_ = torch::randn({256, 16}).to(device_);
    y_ = x_.sum(1, true).sin();
    opt_ = std::make_unique<torch::optim::Adam>(net_->parameters(), torch::optim::AdamOptions(1e-2));
  }
  std::vector<torch::Tensor> Parameters() override { return net_->parameters(); }
  std::vector<torch::Tensor> Buffers() override { return net_->buffers(); }
  torch::optim::Optimizer& optimizer() override { return *opt_; }
  int64_t TrainSize() const override { return 256; }
  int64_t BatchSize() const override { return 32; }
  int64_t Epochs() const override { return 3; }
  StatusOr<torch::Tensor> TrainLoss(const torch::Tensor& indices) override {
    torch::Tensor idx = indices.to(device_);
    torch::Tensor x = torch::dropout(x_.index_select(0, idx), 0.3, /*train=*/true);
    torch::Tensor noise = 0.01 * torch::randn({idx.size(0), 1}, x.options());
    return torch::mse_loss(net_->forward(x), y_.index_select(0, idx) + noise);
  }
  StatusOr<models::Metrics> Evaluate() override {
    torch::NoGradGuard no_grad;
    return models::Metrics{{"val_mse", torch::mse_loss(net_->forward(x_), y_).item<double>()}};
  }
  Status Save(torch::serialize::OutputArchive& a) override {
    torch::serialize::OutputArchive m, o;
    net_->save(m);
    opt_->save(o);
    a.write("model", m);
    a.write("optimizer", o);
    return Status::Ok();
  }
  Status Load(torch::serialize::InputArchive& a) override {
    torch::serialize::InputArchive m, o;
    a.read("model", m);
    a.read("optimizer", o);
    net_->load(m);
    opt_->load(o);
    return Status::Ok();
  }

 private:
  torch::Device device_;
  torch::nn::Sequential net_;
  torch::Tensor x_, y_;
  std::unique_ptr<torch::optim::Adam> opt_;
};

TEST(TrainerOnDeviceTest, ResumeFromCheckpointIsBitIdentical) {
  DeviceGang gang;
  ASSERT_TRUE(gang.status().ok()) << gang.status();
  TrainerOptions options;
  options.seed = 5;
  options.checkpoint_every_steps = 12;  // mid-epoch (8 steps per epoch)
  std::vector<std::string> checkpoints;
  std::string mid;  // the step-12 checkpoint, mid-epoch
  TrainerCallbacks cb;
  cb.on_checkpoint = [&](const std::string& bytes, const TrainState& state) {
    checkpoints.push_back(bytes);
    if (state.global_step == 12) mid = bytes;
    return Status::Ok();
  };
  DropoutRegression straight(TestDevice());
  auto full = Trainer(gang.comm(), options).Run(straight, "", cb);
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_FALSE(mid.empty()) << "no checkpoint at step 12";
  EXPECT_EQ(full->state.global_step, 24);

  // Resume from the step-12 checkpoint in a fresh workload (other weights,
  // generators elsewhere) and finish: every parameter must match exactly.
  DropoutRegression resumed(TestDevice());
  torch::manual_seed(999);
  SeedRngs(12345);
  TrainerCallbacks none;
  auto rest = Trainer(gang.comm(), options).Run(resumed, mid, none);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->state.global_step, 24);
  std::vector<torch::Tensor> a = straight.Parameters(), b = resumed.Parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].cpu(), b[i].cpu())) << "parameter " << i << " differs after resume";
  }
  std::printf("trainer resume device=%s nccl=%d checkpoints=%zu bytes=%zu\n",
              TestDevice().str().c_str(), gang.uses_nccl() ? 1 : 0, checkpoints.size(),
              mid.size());
}

// ---- RNG state bytes ------------------------------------------------------

TEST(RngStateTest, RoundTripContinuesBitIdentically) {
  const torch::Device device = TestDevice();
  SeedRngs(42);
  (void)torch::rand({1000}, torch::TensorOptions().device(device));
  const std::string state = GetRngState();
  const std::string cpu_state = GetCpuRngState();
  torch::Tensor a = torch::rand({4096}, torch::TensorOptions().device(device));
  torch::Tensor a_cpu = torch::rand({64});
  Status s = SetRngState(state);
  ASSERT_TRUE(s.ok()) << s;
  torch::Tensor b = torch::rand({4096}, torch::TensorOptions().device(device));
  torch::Tensor b_cpu = torch::rand({64});
  EXPECT_TRUE(torch::equal(a.cpu(), b.cpu()));
  EXPECT_TRUE(torch::equal(a_cpu, b_cpu));
  const std::string now = GetRngState(), cpu_now = GetCpuRngState();
  if (HaveCuda()) {
    EXPECT_GT(now.size(), cpu_now.size()) << "CUDA generator state missing";
  } else {
    EXPECT_TRUE(now == cpu_now) << "a CPU-only state must keep the CPU generator's format";
  }
}

TEST(RngStateTest, CpuOnlyBytesStillRestoreAndGarbageIsDataLoss) {
  SeedRngs(1);
  const std::string cpu = GetCpuRngState();
  torch::Tensor a = torch::rand({16});
  ASSERT_TRUE(SetRngState(cpu).ok());
  EXPECT_TRUE(torch::equal(a, torch::rand({16})));
  std::string bad = GetRngState();
  if (bad.size() == cpu.size()) bad = std::string("hpsweep-rng-v2", 15) + "\x05";  // CPU-only build
  bad.resize(bad.size() - 1);
  EXPECT_EQ(SetRngState(bad).code(), StatusCode::kDataLoss);
}

// ---- bf16 autocast --------------------------------------------------------

TEST(AutocastTest, GuardCastsMatmulsAndRestores) {
  const torch::Device device = TestDevice();
  torch::Tensor x = torch::randn({8, 8}, torch::TensorOptions().device(device));
  {
    AutocastGuard guard(true, device.type());
    EXPECT_EQ(torch::mm(x, x).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::mm(x, x).scalar_type(), torch::kFloat);
  {
    AutocastGuard off(false, device.type());
    EXPECT_EQ(torch::mm(x, x).scalar_type(), torch::kFloat);
  }
  EXPECT_TRUE(ParsePrecision("bf16").ok());
  EXPECT_EQ(ParsePrecision("fp16").status().code(), StatusCode::kInvalidArgument);
}

class Bf16TrainsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(Bf16TrainsTest, LossIsFiniteAndFalls) {
  DeviceGang gang;
  ASSERT_TRUE(gang.status().ok()) << gang.status();
  models::WorkloadContext ctx;
  ctx.device = TestDevice();
  ctx.seed = 2;
  const nlohmann::json params = {{"epochs", 4}, {"train_size", 1024}, {"val_size", 256}};
  auto w = models::CreateWorkload(GetParam(), params, ctx);
  ASSERT_TRUE(w.ok()) << w.status();
  TrainerOptions options;
  options.precision = Precision::kBf16;
  std::vector<double> epoch_losses;
  TrainerCallbacks cb;
  cb.on_epoch = [&](const EpochReport& r) {
    epoch_losses.push_back(r.train_loss);
    return Decision::kContinue;
  };
  const int64_t per_epoch = (*w)->TrainSize() / (*w)->BatchSize();
  options.max_steps = per_epoch * 4;
  auto r = Trainer(gang.comm(), options).Run(**w, "", cb);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GE(epoch_losses.size(), 2u);
  for (double l : epoch_losses) EXPECT_TRUE(std::isfinite(l));
  std::printf("bf16 model=%s device=%s epoch loss %.5f -> %.5f\n", GetParam().c_str(),
              ctx.device.str().c_str(), epoch_losses.front(), epoch_losses.back());
  EXPECT_LT(epoch_losses.back(), epoch_losses.front());
}

INSTANTIATE_TEST_SUITE_P(Models, Bf16TrainsTest, ::testing::Values("mlp", "transformer_cls"),
                         [](const auto& info) { return info.param; });

// ---- device choice --------------------------------------------------------

TEST(DeviceTest, LocalRankPicksAVisibleDevice) {
  const int visible = static_cast<int>(torch::cuda::device_count());
  if (const char* want = std::getenv("HPSWEEP_EXPECT_VISIBLE_DEVICES")) {
    EXPECT_EQ(visible, std::atoi(want)) << DescribeVisibleDevices();
  }
  auto local = LocalRankFromEnvironment();
  ASSERT_TRUE(local.ok()) << local.status();
  const int rank = local->value_or(0);
  auto device = PickCudaDevice(rank, 0, visible);
  if (visible == 0) {
    EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
    return;
  }
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_EQ(*device, rank % visible);
  torch::Tensor t = torch::ones({4}, torch::TensorOptions().device(torch::kCUDA, *device));
  EXPECT_EQ(t.sum().item<float>(), 4.0f);
  EXPECT_EQ(PickCudaDevice(0, visible + 1, visible).status().code(),
            StatusCode::kFailedPrecondition);
  std::printf("local_rank=%d visible=%d -> cuda:%d (%s)\n", rank, visible, *device,
              DescribeVisibleDevices().c_str());
}

// ---- NCCL -----------------------------------------------------------------

TEST(NcclTest, AllreduceBroadcastAndErrors) {
#ifndef HPSWEEP_HAVE_NCCL
  GTEST_SKIP() << "built without NCCL";
#else
  if (!HaveCuda()) GTEST_SKIP() << "no CUDA device";
  SoloCollectives host;
  auto nccl = NcclCollectives::Create(&host, 0);
  ASSERT_TRUE(nccl.ok()) << nccl.status();
  const auto cuda = torch::TensorOptions().device(torch::kCUDA, 0);
  // Several buckets in flight at once, as the reducer starts them.
  std::vector<torch::Tensor> buckets;
  std::vector<std::unique_ptr<PendingCollective>> pending;
  for (int i = 0; i < 8; ++i) {
    buckets.push_back(torch::full({(1 << 16) + i}, static_cast<float>(i + 1), cuda));
    pending.push_back((*nccl)->AllreduceAsync(buckets.back(), i % 2 ? ReduceOp::kAverage : ReduceOp::kSum));
  }
  for (auto& p : pending) ASSERT_TRUE(p->Wait().ok());
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(torch::equal(buckets[i].cpu(), torch::full({(1 << 16) + i}, static_cast<float>(i + 1))));
  }
  for (auto dtype : {torch::kDouble, torch::kBFloat16, torch::kHalf, torch::kLong}) {
    torch::Tensor t = torch::arange(100, cuda.dtype(dtype));
    ASSERT_TRUE((*nccl)->Allreduce(t, ReduceOp::kMax).ok()) << dtype;
    EXPECT_TRUE(torch::equal(t.cpu(), torch::arange(100, torch::TensorOptions().dtype(dtype))));
  }
  torch::Tensor b = torch::full({7}, 3.0f, cuda);
  ASSERT_TRUE((*nccl)->Broadcast({b}, 0).ok());
  EXPECT_EQ(b[6].item<float>(), 3.0f);
  // The collective runs after work queued before it on the current stream.
  torch::Tensor c = torch::zeros({1 << 20}, cuda);
  c.add_(1.0);
  ASSERT_TRUE((*nccl)->AllreduceAsync(c, ReduceOp::kSum)->Wait().ok());
  EXPECT_EQ(c.sum().item<float>(), static_cast<float>(1 << 20));
  EXPECT_EQ((*nccl)->AllreduceAsync(torch::zeros({4}), ReduceOp::kSum)->Wait().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*nccl)->AllreduceAsync(torch::zeros({4, 4}, cuda).t(), ReduceOp::kSum)->Wait().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE((*nccl)->Barrier().ok());
  // Routed: CPU tensors go to the host transport, CUDA ones to NCCL.
  RoutedCollectives routed(&host, nccl->get());
  torch::Tensor cpu = torch::ones({4});
  EXPECT_TRUE(routed.Allreduce(cpu, ReduceOp::kSum).ok());
  EXPECT_TRUE(routed.Allreduce(torch::ones({4}, cuda), ReduceOp::kSum).ok());
  EXPECT_TRUE(routed.Broadcast({torch::ones({2}, cuda), torch::ones({2})}, 0).ok());
#endif
}

}  // namespace
}  // namespace hpsweep::worker
