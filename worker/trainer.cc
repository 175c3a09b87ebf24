#include "worker/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "worker/autocast.h"
#include "worker/sampler.h"

namespace hpsweep::worker {
namespace {

// Runs `fn` (returning Status), turning exceptions into a Status: LibTorch's
// out-of-memory and std::bad_alloc become RESOURCE_EXHAUSTED, any other
// exception INTERNAL. The one place the trainer catches exceptions.
template <typename Fn>
Status Guard(const char* stage, Fn&& fn) {
  try {
    return fn();
  } catch (const c10::OutOfMemoryError& e) {
    return ResourceExhaustedError(std::string(stage) + ": out of memory: " + e.what_without_backtrace());
  } catch (const c10::Error& e) {
    return InternalError(std::string(stage) + ": " + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError(std::string(stage) + ": out of memory");
  } catch (const std::exception& e) {
    return InternalError(std::string(stage) + ": " + e.what());
  }
}

uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9E3779B97F4A7C15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// CPU and every visible CUDA device's generator (worker/checkpoint.h).
void SeedCpuGenerator(uint64_t seed) { SeedRngs(seed); }

// One trial's run; see Trainer::Run.
class TrialRun {
 public:
  TrialRun(Collectives* comm, const TrainerOptions& options, models::Workload& workload,
           const TrainerCallbacks& callbacks)
      : comm_(comm), options_(options), w_(workload), cb_(callbacks) {}

  StatusOr<TrainResult> Run(std::string resume) {
    HPS_RETURN_IF_ERROR(comm_->BroadcastBytes(&resume, 0));
    HPS_RETURN_IF_ERROR(AgreeOnStatus(*comm_, Guard("starting the trial", [&] { return Setup(resume); })));
    // One reducer per parameter group; the first also broadcasts the buffers.
    for (size_t g = 0; g < groups_.size(); ++g) {
      HPS_ASSIGN_OR_RETURN(std::unique_ptr<Reducer> reducer,
                           Reducer::Create(comm_, groups_[g].parameters,
                                           g == 0 ? w_.Buffers() : std::vector<torch::Tensor>{},
                                           options_.reducer));
      reducers_.push_back(std::move(reducer));
    }
    TrainResult result;
    HPS_RETURN_IF_ERROR(Loop(&result));
    // Catches a failure after the last agreement point (optimizer step, EndStep).
    HPS_RETURN_IF_ERROR(AgreeOnStatus(*comm_, pending_));
    result.state = state_;
    for (const auto& r : reducers_) {
      const ReducerStats& s = r->stats();
      result.reducer_stats.buckets_started_in_backward += s.buckets_started_in_backward;
      result.reducer_stats.buckets_started_at_finish += s.buckets_started_at_finish;
      result.reducer_stats.steps += s.steps;
      result.reducer_stats.finish_micros += s.finish_micros;
    }
    return result;
  }

 private:
  // The workload's groups and step updates, checked against Parameters():
  // every parameter in exactly one group (the reducers broadcast and average
  // per group), every update naming a group.
  Status CheckGroups(const std::vector<torch::Tensor>& params) {
    groups_ = w_.Groups();
    updates_ = w_.StepUpdates();
    if (groups_.empty() || updates_.empty()) {
      return InvalidArgumentError("workload has no parameter groups or no updates per step");
    }
    std::map<const void*, int> owner;
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (groups_[g].optimizer == nullptr) {
        return InvalidArgumentError("parameter group '" + groups_[g].name + "' has no optimizer");
      }
      for (const torch::Tensor& p : groups_[g].parameters) {
        auto [it, fresh] = owner.emplace(p.unsafeGetTensorImpl(), static_cast<int>(g));
        if (!fresh) {
          return InvalidArgumentError("a parameter is in both group '" + groups_[it->second].name +
                                      "' and group '" + groups_[g].name + "'");
        }
      }
    }
    size_t covered = 0;
    for (const torch::Tensor& p : params) covered += owner.count(p.unsafeGetTensorImpl());
    if (covered != params.size() || owner.size() != params.size()) {
      return InvalidArgumentError("parameter groups hold " + std::to_string(owner.size()) +
                                  " tensors, " + std::to_string(covered) + " of the workload's " +
                                  std::to_string(params.size()) + " parameters");
    }
    for (int u : updates_) {
      if (u < 0 || u >= static_cast<int>(groups_.size())) {
        return InvalidArgumentError("step update names group " + std::to_string(u) + " of " +
                                    std::to_string(groups_.size()));
      }
    }
    return Status::Ok();
  }

  Status Setup(const std::string& resume) {
    std::vector<torch::Tensor> params = w_.Parameters();
    autocast_device_ = params.empty() ? c10::DeviceType::CPU : params[0].device().type();
    HPS_RETURN_IF_ERROR(CheckGroups(params));
    SamplerOptions so;
    so.dataset_size = w_.TrainSize();
    so.batch_size = w_.BatchSize();
    so.seed = options_.seed;
    so.shuffle = options_.shuffle;
    HPS_ASSIGN_OR_RETURN(DistributedSampler sampler, DistributedSampler::Create(so));
    sampler_ = std::make_unique<DistributedSampler>(std::move(sampler));
    if (w_.BatchSize() < comm_->size()) {
      return InvalidArgumentError("global batch " + std::to_string(w_.BatchSize()) +
                                  " is smaller than the gang of " + std::to_string(comm_->size()));
    }
    state_ = TrainState{};
    state_.seed = options_.seed;
    if (resume.empty()) {
      SeedCpuGenerator(Mix(options_.seed, static_cast<uint64_t>(comm_->rank())));
      return Status::Ok();
    }
    // The options the workload built, before the checkpoint's replace them.
    std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> built;
    if (options_.apply_new_optimizer_options) {
      for (auto& group : w_.optimizer().param_groups()) built.push_back(group.options().clone());
    }
    HPS_ASSIGN_OR_RETURN(CheckpointContents c, DecodeCheckpoint(resume, w_));
    if (options_.apply_new_optimizer_options) {
      auto& groups = w_.optimizer().param_groups();
      if (groups.size() != built.size()) {
        return InvalidArgumentError("the checkpoint's optimizer has " +
                                    std::to_string(groups.size()) + " param groups, this trial's " +
                                    std::to_string(built.size()));
      }
      for (size_t i = 0; i < groups.size(); ++i) groups[i].set_options(std::move(built[i]));
    }
    HPS_ASSIGN_OR_RETURN(SamplerPosition pos, sampler_->PositionOf(c.state.samples_consumed));
    state_.epoch = pos.epoch;
    state_.step_in_epoch = pos.step_in_epoch;
    state_.global_step = pos.global_step;
    state_.samples_consumed = c.state.samples_consumed;
    if (c.world_size == comm_->size() && static_cast<int>(c.rng_states.size()) == c.world_size) {
      return SetRngState(c.rng_states[static_cast<size_t>(comm_->rank())]);
    }
    SeedCpuGenerator(Mix(Mix(options_.seed, static_cast<uint64_t>(comm_->rank())),
                         static_cast<uint64_t>(state_.global_step)));
    return Status::Ok();
  }

  Status Loop(TrainResult* result) {
    const int64_t steps_per_epoch = sampler_->StepsPerEpoch();
    const int64_t epochs = w_.Epochs();
    while (state_.epoch < epochs) {
      while (state_.step_in_epoch < steps_per_epoch) {
        HPS_RETURN_IF_ERROR(Step());
        const bool at_max = options_.max_steps > 0 && state_.global_step >= options_.max_steps;
        const bool epoch_done = state_.step_in_epoch == steps_per_epoch;
        if (options_.checkpoint_every_steps > 0 &&
            state_.global_step % options_.checkpoint_every_steps == 0 && !epoch_done) {
          HPS_RETURN_IF_ERROR(Checkpoint());
        }
        if (at_max && !epoch_done) {
          result->end = TrainResult::End::kMaxSteps;
          return Status::Ok();
        }
      }
      // Epoch end: the position moves to the next epoch's first step.
      ++state_.epoch;
      state_.step_in_epoch = 0;
      Decision decision = Decision::kContinue;
      HPS_RETURN_IF_ERROR(EndEpoch(result, &decision));
      const bool at_max = options_.max_steps > 0 && state_.global_step >= options_.max_steps;
      const bool last = state_.epoch == epochs;
      // A shutdown (SIGTERM) at the last epoch: the trial simply completes.
      if (decision == Decision::kCheckpointAndStop && last) decision = Decision::kContinue;
      // Where training ends (the last step, or a stop), the state it ends at
      // is checkpointed too, so the trained model is kept as trained and a
      // stopped trial resumes from exactly where it stopped; a shutdown
      // always checkpoints before it gives the trial back.
      const bool ending = last || decision != Decision::kContinue;
      const bool periodic = options_.checkpoint_at_epoch_end ||
                            (options_.checkpoint_every_steps > 0 &&
                             state_.global_step % options_.checkpoint_every_steps == 0);
      if (decision == Decision::kCheckpointAndStop ||
          (ending ? options_.checkpoint_at_end : periodic)) {
        HPS_RETURN_IF_ERROR(Checkpoint());
      }
      if (decision != Decision::kContinue) {
        result->end = TrainResult::End::kStopped;
        return Status::Ok();
      }
      if (at_max && !last) {
        result->end = TrainResult::End::kMaxSteps;
        return Status::Ok();
      }
    }
    result->end = TrainResult::End::kCompleted;
    return Status::Ok();
  }

  // One training step: each of the workload's updates in order (one for a
  // single-group workload). Returns an error (the same on every rank) when
  // any rank failed, or the transport's error.
  Status Step() {
    for (size_t u = 0; u < updates_.size(); ++u) HPS_RETURN_IF_ERROR(Update(u));
    ++state_.global_step;
    ++state_.step_in_epoch;
    state_.samples_consumed += w_.BatchSize();
    if (cb_.on_step) cb_.on_step(state_);
    return Status::Ok();
  }

  // Update `u` of the step: its group's gradients averaged by that group's
  // reducer, then that group's optimizer step. The epoch's reported training
  // loss is the last update's (for a GAN, the generator's).
  Status Update(size_t u) {
    const int rank = comm_->rank(), world = comm_->size();
    const bool last = u + 1 == updates_.size();
    const int g = updates_[u];
    Reducer& reducer = *reducers_[static_cast<size_t>(g)];
    reducer.PrepareForBackward();
    Status local = pending_;
    if (local.ok()) {
      local = Guard("training step", [&]() -> Status {
        HPS_ASSIGN_OR_RETURN(std::vector<int64_t> idx,
                             sampler_->LocalIndices(state_.epoch, state_.step_in_epoch, rank, world));
        torch::Tensor indices =
            torch::from_blob(idx.data(), {static_cast<int64_t>(idx.size())}, torch::kLong);
        HPS_ASSIGN_OR_RETURN(torch::Tensor loss, [&] {
          // bf16 autocast covers the forward pass only; backward follows it.
          AutocastGuard autocast(options_.precision == Precision::kBf16, autocast_device_);
          return w_.UpdateLoss(static_cast<int>(u), indices);
        }());
        const double value = loss.item<double>();
        if (!std::isfinite(value)) {
          const std::string where =
              updates_.size() == 1 ? ""
                                   : " in update " + std::to_string(u) + " (group '" +
                                         groups_[static_cast<size_t>(g)].name + "')";
          return InvalidArgumentError("loss is " + std::string(std::isnan(value) ? "NaN" : "infinite") +
                                      " at step " + std::to_string(state_.global_step) +
                                      " (epoch " + std::to_string(state_.epoch) + ")" + where);
        }
        if (last) {
          epoch_loss_sum_ += value * static_cast<double>(idx.size());
          epoch_loss_count_ += static_cast<double>(idx.size());
        }
        const double scale = DistributedSampler::LossScale(w_.BatchSize(), rank, world);
        if (scale != 1.0) loss = loss * scale;
        loss.backward();
        return Status::Ok();
      });
    }
    HPS_ASSIGN_OR_RETURN(int failed_ranks, reducer.FinishBackward(!local.ok()));
    if (failed_ranks > 0) {
      Status agreed = AgreeOnStatus(*comm_, local);
      if (agreed.ok()) agreed = InternalError("a rank reported a failure without a message");
      return agreed;
    }
    // Failures past this point surface at the next agreement (the next
    // update's gradient allreduce, a checkpoint, epoch end or the end of Run).
    pending_ = Guard("optimizer step", [&] {
      groups_[static_cast<size_t>(g)].optimizer->step();
      if (last) w_.EndStep();
      return Status::Ok();
    });
    return Status::Ok();
  }

  Status Checkpoint() {
    HPS_ASSIGN_OR_RETURN(std::vector<std::string> rng, comm_->AllgatherBytes(GetRngState()));
    Status local = pending_;
    if (local.ok() && comm_->rank() == 0) {
      local = Guard("checkpoint", [&]() -> Status {
        CheckpointContents c;
        c.state = state_;
        c.world_size = comm_->size();
        c.rng_states = std::move(rng);
        HPS_ASSIGN_OR_RETURN(std::string bytes, EncodeCheckpoint(w_, c));
        if (cb_.on_checkpoint) HPS_RETURN_IF_ERROR(cb_.on_checkpoint(bytes, state_));
        return Status::Ok();
      });
    }
    return AgreeOnStatus(*comm_, local);
  }

  Status EndEpoch(TrainResult* result, Decision* decision) {
    // Gang-wide mean training loss of the epoch.
    torch::Tensor sums = torch::tensor({epoch_loss_sum_, epoch_loss_count_}, torch::kDouble);
    HPS_RETURN_IF_ERROR(comm_->Allreduce(sums, ReduceOp::kSum));
    epoch_loss_sum_ = epoch_loss_count_ = 0;
    Status local = pending_;
    std::string verdict = "continue";
    if (local.ok() && comm_->rank() == 0) {
      local = Guard("evaluation", [&]() -> Status {
        EpochReport report;
        report.state = state_;
        const double count = sums[1].item<double>();
        report.train_loss = count > 0 ? sums[0].item<double>() / count : 0.0;
        if (options_.evaluate) {
          HPS_ASSIGN_OR_RETURN(report.metrics, w_.Evaluate());
          result->metrics = report.metrics;
        }
        const Decision d = cb_.on_epoch ? cb_.on_epoch(report) : Decision::kContinue;
        if (d == Decision::kStop) verdict = "stop";
        if (d == Decision::kCheckpointAndStop) verdict = "checkpoint_stop";
        return Status::Ok();
      });
    }
    HPS_RETURN_IF_ERROR(AgreeOnStatus(*comm_, local));
    HPS_RETURN_IF_ERROR(comm_->BroadcastBytes(&verdict, 0));
    *decision = verdict == "stop"              ? Decision::kStop
                : verdict == "checkpoint_stop" ? Decision::kCheckpointAndStop
                                               : Decision::kContinue;
    return Status::Ok();
  }

  Collectives* comm_;
  const TrainerOptions& options_;
  models::Workload& w_;
  const TrainerCallbacks& cb_;
  std::unique_ptr<DistributedSampler> sampler_;
  std::vector<models::ParamGroup> groups_;
  std::vector<int> updates_;                        // group of each update of a step
  std::vector<std::unique_ptr<Reducer>> reducers_;  // per group
  TrainState state_;
  Status pending_;  // a local failure not yet shared with the gang
  double epoch_loss_sum_ = 0;
  double epoch_loss_count_ = 0;
  c10::DeviceType autocast_device_ = c10::DeviceType::CPU;  // where the parameters live
};

}  // namespace

Status TrainerOptions::Validate() const {
  if (checkpoint_every_steps < 0) {
    return InvalidArgumentError("checkpoint_every_steps must be >= 0", "/checkpoint_every_steps");
  }
  if (max_steps < 0) return InvalidArgumentError("max_steps must be >= 0", "/max_steps");
  return reducer.Validate();
}

StatusOr<TrainResult> Trainer::Run(models::Workload& workload, const std::string& resume,
                                   const TrainerCallbacks& callbacks) {
  HPS_RETURN_IF_ERROR(options_.Validate());
  TrialRun run(comm_, options_, workload, callbacks);
  // Reducer and sampler are per trial: destroyed (hooks removed) on return.
  return run.Run(resume);
}

}  // namespace hpsweep::worker
