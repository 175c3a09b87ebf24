// Two-rank tests of the trainer on a workload of several parameter groups
// (models/ctgan: critic and generator, each with its own Adam, d_steps
// critic updates then one generator update per step): per-group reducers keep
// the ranks identical after every step, 2 ranks reach 1 rank's parameters,
// and stop + resume is bit-identical with both optimizers' state.
#include <mpi.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "models/ctgan.h"
#include "tests/mpi_test_main.h"
#include "worker/mpi_collectives.h"
#include "worker/trainer.h"
#include "worker/trainer_mpi_testing.h"

namespace hpsweep::worker {
namespace {

nlohmann::json Tiny() {
  return {{"embedding_dim", 8}, {"generator_dims", {16}}, {"discriminator_dims", {16, 16}},
          {"pac", 2},           {"train_size", 96},        {"val_size", 64},
          {"batch_size", 16},   {"epochs", 2},             {"max_modes", 3},
          {"d_steps", 2},       {"d_lr", 1e-2},            {"g_lr", 1e-2}};
}

std::unique_ptr<models::Workload> Make(const nlohmann::json& p = Tiny()) {
  models::WorkloadContext ctx;
  ctx.seed = 5;
  auto w = models::CreateCtganWorkload(p, ctx);
  EXPECT_TRUE(w.ok()) << w.status();
  return std::move(w).value();
}

using testing::Flat;
using testing::FromRank0;
using testing::WorldRank;

class TrainerGroupsMpiTest : public testing::TwoRankTrainerTest {
 protected:
  static TrainerOptions Options() {
    TrainerOptions o;
    o.evaluate = false;
    // Several buckets per group, so overlapped starts are exercised too.
    o.reducer.first_bucket_bytes = 256;
    o.reducer.bucket_bytes = 1024;
    return o;
  }
};

TEST_F(TrainerGroupsMpiTest, TwoRanksMatchOneRankAndStayIdenticalAfterEveryStep) {
  auto one = Make();
  auto two = Make();
  const torch::Tensor initial = Flat(*two);
  StatusOr<TrainResult> r1 = Trainer(solo_.get(), Options()).Run(*one, "", {});
  ASSERT_TRUE(r1.ok()) << r1.status();
  int steps = 0, mismatches = 0;
  TrainerCallbacks cb;
  cb.on_step = [&](const TrainState&) {
    ++steps;
    torch::Tensor mine = Flat(*two);
    if (!torch::equal(mine, FromRank0(mine))) ++mismatches;
  };
  StatusOr<TrainResult> r2 = Trainer(world_.get(), Options()).Run(*two, "", cb);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(steps, 2 * (48 / 8));
  EXPECT_EQ(mismatches, 0);
  // Three updates per step, each on its own group's reducer.
  EXPECT_EQ(r2->reducer_stats.steps, 3 * steps);
  EXPECT_TRUE(torch::allclose(Flat(*one), Flat(*two), 1e-4, 1e-5))
      << "max diff " << (Flat(*one) - Flat(*two)).abs().max().item<float>();
  EXPECT_GT((Flat(*two) - initial).abs().max().item<float>(), 1e-3) << "did not train";
}

TEST_F(TrainerGroupsMpiTest, StopAndResumeIsBitIdenticalWithBothOptimizers) {
  TrainerOptions opts = Options();
  opts.checkpoint_every_steps = 4;
  opts.seed = 3;
  auto full = Make();
  ASSERT_TRUE(Trainer(world_.get(), opts).Run(*full, "", {}).ok());

  TrainerOptions stop = opts;
  stop.max_steps = 8;
  std::string bytes;
  TrainerCallbacks cb;
  cb.on_checkpoint = [&](const std::string& b, const TrainState&) {
    bytes = b;
    return Status::Ok();
  };
  auto first = Make();
  StatusOr<TrainResult> part = Trainer(world_.get(), stop).Run(*first, "", cb);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ(part->end, TrainResult::End::kMaxSteps);

  // Scrambled parameters and RNG: everything must come from the checkpoint.
  auto resumed = Make();
  {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : resumed->Parameters()) p.add_(1.0);
  }
  torch::manual_seed(12345);
  StatusOr<TrainResult> rest = Trainer(world_.get(), opts).Run(*resumed, bytes, {});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->end, TrainResult::End::kCompleted);
  EXPECT_TRUE(torch::equal(Flat(*full), Flat(*resumed)))
      << "max diff " << (Flat(*full) - Flat(*resumed)).abs().max().item<float>();
}

// A workload whose groups miss a parameter is refused on every rank before
// any training.
class MissingGroup final : public models::Workload {
 public:
  MissingGroup() : a_(torch::zeros({2}, torch::requires_grad())), b_(torch::zeros({2}, torch::requires_grad())),
                   opt_(std::vector<torch::Tensor>{a_}, torch::optim::SGDOptions(0.1)) {}
  std::vector<torch::Tensor> Parameters() override { return {a_, b_}; }
  std::vector<torch::Tensor> Buffers() override { return {}; }
  torch::optim::Optimizer& optimizer() override { return opt_; }
  std::vector<models::ParamGroup> Groups() override { return {{"a", {a_}, &opt_}}; }
  int64_t TrainSize() const override { return 8; }
  int64_t BatchSize() const override { return 4; }
  int64_t Epochs() const override { return 1; }
  StatusOr<torch::Tensor> TrainLoss(const torch::Tensor&) override { return (a_ + b_).sum(); }
  StatusOr<models::Metrics> Evaluate() override { return models::Metrics{}; }
  Status Save(torch::serialize::OutputArchive&) override { return Status::Ok(); }
  Status Load(torch::serialize::InputArchive&) override { return Status::Ok(); }

 private:
  torch::Tensor a_, b_;
  torch::optim::SGD opt_;
};

TEST_F(TrainerGroupsMpiTest, GroupsThatMissAParameterAreRefused) {
  MissingGroup w;
  StatusOr<TrainResult> r = Trainer(world_.get(), Options()).Run(w, "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("1 of the workload's 2 parameters"), std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace hpsweep::worker

HPSWEEP_MPI_TEST_MAIN()
