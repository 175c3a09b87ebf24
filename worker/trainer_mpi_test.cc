// Two-rank tests of the data-parallel trainer (Trainer + Reducer + sampler +
// MpiCollectives) on a tiny synthetic regression MLP. Each process also holds
// a one-rank gang (MPI_Comm_split by rank) to train the single-process
// reference.
#include <mpi.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/mpi_test_main.h"
#include "worker/checkpoint.h"
#include "worker/mpi_collectives.h"
#include "worker/synthetic_workloads.h"
#include "worker/trainer.h"
#include "worker/trainer_mpi_testing.h"

namespace hpsweep::worker {
namespace {

SyntheticWorkloadOptions Tiny() {
  SyntheticWorkloadOptions o;
  o.layers = {4, 16, 16, 1};
  o.regression = true;
  o.train_size = 64;
  o.val_size = 16;
  o.batch_size = 8;  // 8 steps per epoch
  o.epochs = 3;
  o.lr = 0.05;
  o.seed = 11;
  return o;
}

std::unique_ptr<models::Workload> Make(const SyntheticWorkloadOptions& o) {
  auto w = MakeSyntheticWorkload(o);
  EXPECT_TRUE(w.ok()) << w.status();
  return std::move(w).value();
}

using testing::BytesFromRank0;
using testing::Flat;
using testing::FromRank0;
using testing::WorldRank;
using TrainerMpiTest = testing::TwoRankTrainerTest;

TEST_F(TrainerMpiTest, TwoRanksReachTheSameParametersAsOneRank) {
  for (int64_t batch : {8, 9}) {  // 9: uneven shards (5 + 4), scaled losses
    SyntheticWorkloadOptions wo = Tiny();
    wo.batch_size = batch;
    auto one = Make(wo);
    auto two = Make(wo);
    ASSERT_TRUE(torch::equal(Flat(*one), Flat(*two)));
    Trainer solo(solo_.get(), TrainerOptions{});
    StatusOr<TrainResult> r1 = solo.Run(*one, "", {});
    ASSERT_TRUE(r1.ok()) << r1.status();
    Trainer dp(world_.get(), TrainerOptions{});
    StatusOr<TrainResult> r2 = dp.Run(*two, "", {});
    ASSERT_TRUE(r2.ok()) << r2.status();
    EXPECT_EQ(r2->state.global_step, 3 * (64 / batch));
    EXPECT_EQ(r2->state.samples_consumed, r1->state.samples_consumed);
    EXPECT_TRUE(torch::allclose(Flat(*one), Flat(*two), /*rtol=*/1e-4, /*atol=*/1e-5))
        << "batch " << batch << " max diff "
        << (Flat(*one) - Flat(*two)).abs().max().item<float>();
    EXPECT_GT((Flat(*two) - Flat(*Make(wo))).abs().max().item<float>(), 1e-3) << "did not train";
  }
}

TEST_F(TrainerMpiTest, AllRanksHoldIdenticalParametersAfterEveryStep) {
  auto w = Make(Tiny());
  int steps = 0, mismatches = 0;
  TrainerCallbacks cb;
  cb.on_step = [&](const TrainState&) {
    ++steps;
    torch::Tensor mine = Flat(*w);
    if (!torch::equal(mine, FromRank0(mine))) ++mismatches;
  };
  Trainer dp(world_.get(), TrainerOptions{});
  StatusOr<TrainResult> r = dp.Run(*w, "", cb);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(steps, 24);
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(r->reducer_stats.buckets_started_at_finish, 0);
}

TEST_F(TrainerMpiTest, ResumedRunIsBitIdenticalToUninterrupted) {
  TrainerOptions opts;
  opts.checkpoint_every_steps = 5;
  opts.seed = 3;
  // Several buckets so that overlapped starts are exercised too.
  opts.reducer.first_bucket_bytes = 64;
  opts.reducer.bucket_bytes = 256;

  auto full = Make(Tiny());
  Trainer t(world_.get(), opts);
  StatusOr<TrainResult> uninterrupted = t.Run(*full, "", {});
  ASSERT_TRUE(uninterrupted.ok()) << uninterrupted.status();
  EXPECT_GT(uninterrupted->reducer_stats.buckets_started_in_backward, 0);

  TrainerOptions stop = opts;
  stop.max_steps = 10;
  std::string bytes;
  TrainState saved;
  TrainerCallbacks cb;
  cb.on_checkpoint = [&](const std::string& b, const TrainState& s) {
    bytes = b;
    saved = s;
    return Status::Ok();
  };
  auto first = Make(Tiny());
  StatusOr<TrainResult> part = Trainer(world_.get(), stop).Run(*first, "", cb);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ(part->end, TrainResult::End::kMaxSteps);
  if (WorldRank() == 0) {
    EXPECT_EQ(saved.global_step, 10);
    EXPECT_EQ(saved.samples_consumed, 80);
    EXPECT_EQ(saved.epoch, 1);
    EXPECT_EQ(saved.step_in_epoch, 2);
  }

  // Same hyperparameters (as a re-leased trial would have), but scrambled
  // parameters and RNG: everything must come from the checkpoint.
  auto resumed = Make(Tiny());
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

// A PBT child (coordinator/lifecycle/pbt.h) starts from its parent's checkpoint with
// its own hyperparameters: the loaded optimizer state is kept and the
// options are those this workload was built with. (The zoo's Load keeps the
// built options anyway; apply_new_optimizer_options guarantees it for a
// workload whose Load restores the saved ones.)
TEST_F(TrainerMpiTest, StartingFromAnotherTrialsCheckpointAppliesItsOwnOptimizerOptions) {
  TrainerOptions stop;
  stop.checkpoint_every_steps = 5;
  stop.max_steps = 10;
  std::string bytes;
  TrainerCallbacks cb;
  cb.on_checkpoint = [&](const std::string& b, const TrainState&) {
    bytes = b;
    return Status::Ok();
  };
  auto parent = Make(Tiny());  // lr 0.05, momentum 0.9
  ASSERT_TRUE(Trainer(world_.get(), stop).Run(*parent, "", cb).ok());
  SyntheticWorkloadOptions explored = Tiny();
  explored.lr = 0.2;
  explored.momentum = 0.5;
  for (bool apply : {false, true}) {
    SCOPED_TRACE(apply ? "applied" : "plain resume");
    TrainerOptions next = stop;
    next.max_steps = 12;
    next.apply_new_optimizer_options = apply;
    auto child = Make(explored);
    StatusOr<TrainResult> ran = Trainer(world_.get(), next).Run(*child, bytes, {});
    ASSERT_TRUE(ran.ok()) << ran.status();
    EXPECT_EQ(ran->state.global_step, 12) << "continues from the checkpoint's step 10";
    auto& group = child->optimizer().param_groups().at(0);
    auto& sgd = static_cast<torch::optim::SGDOptions&>(group.options());
    EXPECT_DOUBLE_EQ(sgd.lr(), 0.2);
    EXPECT_DOUBLE_EQ(sgd.momentum(), 0.5);
    // The loaded momentum buffers are kept either way.
    EXPECT_FALSE(child->optimizer().state().empty());
  }
}

TEST_F(TrainerMpiTest, ResumeAtADifferentWorldSizeContinuesFromTheSampleCount) {
  TrainerOptions opts;
  opts.checkpoint_every_steps = 4;
  auto reference = Make(Tiny());
  ASSERT_TRUE(Trainer(world_.get(), opts).Run(*reference, "", {}).ok());

  TrainerOptions stop = opts;
  stop.max_steps = 12;
  std::string bytes;
  TrainerCallbacks cb;
  cb.on_checkpoint = [&](const std::string& b, const TrainState&) {
    bytes = b;
    return Status::Ok();
  };
  auto first = Make(Tiny());
  ASSERT_TRUE(Trainer(world_.get(), stop).Run(*first, "", cb).ok());
  bytes = BytesFromRank0(bytes);  // each one-rank gang resumes the same bytes

  auto resumed = Make(Tiny());
  std::vector<TrainState> seen;
  TrainerCallbacks cb2;
  cb2.on_step = [&](const TrainState& s) { seen.push_back(s); };
  StatusOr<TrainResult> rest = Trainer(solo_.get(), opts).Run(*resumed, bytes, cb2);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(seen.size(), 12u);  // 24 steps in all, 12 done before
  EXPECT_EQ(seen.front().global_step, 13);
  EXPECT_EQ(seen.front().samples_consumed, 13 * 8);
  EXPECT_EQ(seen.front().epoch, 1);
  EXPECT_EQ(seen.front().step_in_epoch, 5);
  EXPECT_EQ(rest->state.samples_consumed, 24 * 8);
  EXPECT_TRUE(torch::allclose(Flat(*reference), Flat(*resumed), 1e-4, 1e-5))
      << "max diff " << (Flat(*reference) - Flat(*resumed)).abs().max().item<float>();
}

TEST_F(TrainerMpiTest, StartupCheckRejectsMismatchedRanks) {
  SyntheticWorkloadOptions o = Tiny();
  if (WorldRank() == 1) o.layers = {4, 16, 8, 1};
  auto w = Make(o);
  StatusOr<TrainResult> r = Trainer(world_.get(), TrainerOptions{}).Run(*w, "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("parameter 2 is Float[8, 16] on rank 1 but Float[16, 16] on rank 0"),
            std::string::npos)
      << r.status();

  SyntheticWorkloadOptions deeper = Tiny();
  if (WorldRank() == 1) deeper.layers = {4, 16, 16, 16, 1};
  auto w2 = Make(deeper);
  r = Trainer(world_.get(), TrainerOptions{}).Run(*w2, "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("rank 1 has 8 parameters, rank 0 has 6"), std::string::npos)
      << r.status();
}

TEST_F(TrainerMpiTest, NanLossFailsEveryRankAndTheNextTrialTrains) {
  SyntheticWorkloadOptions o = Tiny();
  if (WorldRank() == 1) o.nan_at_call = 3;
  auto bad = Make(o);
  StatusOr<TrainResult> r = Trainer(world_.get(), TrainerOptions{}).Run(*bad, "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "rank 1: loss is NaN at step 3 (epoch 0)");

  auto good = Make(Tiny());
  int mismatches = 0;
  TrainerCallbacks cb;
  cb.on_step = [&](const TrainState&) {
    torch::Tensor mine = Flat(*good);
    if (!torch::equal(mine, FromRank0(mine))) ++mismatches;
  };
  StatusOr<TrainResult> ok = Trainer(world_.get(), TrainerOptions{}).Run(*good, "", cb);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->state.global_step, 24);
  EXPECT_EQ(mismatches, 0);
}

TEST_F(TrainerMpiTest, LeaderReportsEachEpochAndItsStopReachesEveryRank) {
  auto w = Make(Tiny());
  std::vector<EpochReport> reports;
  int checkpoints = 0;
  TrainerCallbacks cb;
  cb.on_epoch = [&](const EpochReport& r) {
    reports.push_back(r);
    return r.state.epoch >= 2 ? Decision::kStop : Decision::kContinue;
  };
  cb.on_checkpoint = [&](const std::string&, const TrainState&) {
    ++checkpoints;
    return Status::Ok();
  };
  StatusOr<TrainResult> r = Trainer(world_.get(), TrainerOptions{}).Run(*w, "", cb);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->end, TrainResult::End::kStopped);
  EXPECT_EQ(r->state.global_step, 16);
  if (WorldRank() == 0) {
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[0].metrics.count("val_loss"), 1u);
    EXPECT_GT(reports[0].train_loss, reports[1].train_loss);
    // After epoch 1, and after epoch 2 where the stop ended training: the
    // state it stopped at is kept.
    EXPECT_EQ(checkpoints, 2);
  } else {
    EXPECT_TRUE(reports.empty());
  }
}

TEST_F(TrainerMpiTest, CallbackErrorFailsEveryRank) {
  auto w = Make(Tiny());
  TrainerOptions o;
  o.checkpoint_every_steps = 3;
  TrainerCallbacks cb;
  cb.on_checkpoint = [](const std::string&, const TrainState&) {
    return UnavailableError("store down");
  };
  StatusOr<TrainResult> r = Trainer(world_.get(), o).Run(*w, "", cb);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "rank 0: store down");
}

}  // namespace
}  // namespace hpsweep::worker

HPSWEEP_MPI_TEST_MAIN()
