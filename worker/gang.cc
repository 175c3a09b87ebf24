#include "worker/gang.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "models/workload.h"
#include "proto/json_reader.h"
#include "proto/messages.h"
#include "worker/autocast.h"
#include "worker/command_trial.h"
#include "worker/trial_seeds.h"

namespace hpsweep::worker {

using proto::Json;

namespace {

// Sends heartbeats for one trial from a background thread until stopped;
// remembers whether the coordinator asked to stop or the lease was lost.
class Heartbeater {
 public:
  Heartbeater(const CoordinatorClient& leader_client, uint64_t trial_id, std::string client_id,
              double period_seconds)
      : trial_id_(trial_id), client_id_(std::move(client_id)) {
    auto client = leader_client.NewConnection();
    if (!client.ok()) {
      HPS_LOG(WARNING) << "no heartbeats for trial " << trial_id_ << ": " << client.status();
      return;
    }
    thread_ = std::thread([this, client = std::move(*client), period_seconds]() mutable {
      std::unique_lock<std::mutex> lock(mu_);
      while (!done_) {
        cv_.wait_for(lock, std::chrono::duration<double>(period_seconds));
        if (done_) break;
        lock.unlock();
        auto d = client->Heartbeat(trial_id_, client_id_);
        lock.lock();
        if (d.ok() && d->stop) stop_reason_ = "coordinator: " + d->reason;
        if (!d.ok() && !IsRetryable(d.status().code())) stop_reason_ = d.status().message();
        if (!d.ok()) HPS_LOG(WARNING) << "heartbeat for trial " << trial_id_ << ": " << d.status();
      }
    });
  }
  ~Heartbeater() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  std::string stop_reason() {
    std::lock_guard<std::mutex> lock(mu_);
    return stop_reason_;
  }

 private:
  uint64_t trial_id_;
  std::string client_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::string stop_reason_;
  std::thread thread_;
};

}  // namespace

// What the leader tells its gang each round. It travels between the ranks as
// JSON over BroadcastBytes and is read back without exceptions.
struct GangCommand {
  enum class Kind { kTrain, kWait, kExit };
  Kind kind = Kind::kExit;
  // kTrain: the leased trial, its model, fixed arguments and sweep metric.
  proto::Trial trial;
  std::string model;
  Json args = Json::object();
  std::string metric;
  // kTrain: the sweep's program.precision, "fp32" or "bf16".
  std::string precision = "fp32";
  // kTrain of a command program: the program (model is then empty).
  proto::ProgramSpec program;
  // kWait: how long, and whether because the coordinator was unreachable
  // (such waits do not count as idle).
  double seconds = 0;
  bool unreachable = false;
  // kExit: why; a non-OK error means the gang cannot go on.
  std::string reason;
  Status error;

  static GangCommand Exit(std::string reason, Status error = Status()) {
    GangCommand c;
    c.reason = std::move(reason);
    c.error = std::move(error);
    return c;
  }
  static GangCommand Wait(double seconds, bool unreachable = false) {
    GangCommand c;
    c.kind = Kind::kWait;
    c.seconds = seconds;
    c.unreachable = unreachable;
    return c;
  }

  std::string Encode() const {
    Json j = {{"kind", static_cast<int64_t>(kind)}, {"seconds", seconds},
              {"unreachable", unreachable}, {"reason", reason},
              {"code", std::string(StatusCodeName(error.code()))},
              {"error", error.message()}};
    if (kind == Kind::kTrain) {
      j["trial"] = proto::ToJson(trial);
      j["model"] = model;
      j["args"] = args;
      j["metric"] = metric;
      j["precision"] = precision;
      if (program.IsCommand()) j["program"] = proto::ToJson(program);
    }
    return proto::DumpJson(j);
  }

  static StatusOr<GangCommand> Decode(const std::string& bytes) {
    HPS_ASSIGN_OR_RETURN(Json j, proto::ParseJsonText(bytes, {proto::kMaxWrittenJsonDepth}));
    proto::JsonReader r(j, "");
    HPS_RETURN_IF_ERROR(r.RequireObject());
    GangCommand c;
    int64_t kind = 0;
    std::string code, message;
    HPS_RETURN_IF_ERROR(r.Int("kind", &kind));
    if (kind < 0 || kind > static_cast<int64_t>(Kind::kExit)) {
      return r.Error("kind", "unknown gang command " + std::to_string(kind));
    }
    c.kind = static_cast<Kind>(kind);
    HPS_RETURN_IF_ERROR(r.Double("seconds", &c.seconds));
    HPS_RETURN_IF_ERROR(r.Bool("unreachable", &c.unreachable));
    HPS_RETURN_IF_ERROR(r.String("reason", &c.reason));
    HPS_RETURN_IF_ERROR(r.String("code", &code));
    HPS_RETURN_IF_ERROR(r.String("error", &message));
    const StatusCode status_code = StatusCodeFromName(code).value_or(StatusCode::kInternal);
    c.error = status_code == StatusCode::kOk ? Status() : Status(status_code, message);
    if (c.kind == Kind::kTrain) {
      const Json* trial = r.Find("trial");
      if (trial == nullptr) return r.Error("trial", "missing");
      HPS_RETURN_IF_ERROR(proto::FromJson(*trial, &c.trial));
      HPS_RETURN_IF_ERROR(r.String("model", &c.model));
      HPS_RETURN_IF_ERROR(r.String("metric", &c.metric));
      const Json* args = r.Find("args");
      if (args != nullptr && args->is_object()) c.args = *args;
      HPS_RETURN_IF_ERROR(r.OptionalString("precision", &c.precision));
      if (const Json* program = r.Find("program")) {
        HPS_RETURN_IF_ERROR(proto::ParseProgramSpec(*program, &c.program));
      }
    }
    return c;
  }
};

Status GangOptions::Validate() const {
  if (client_id.empty()) return InvalidArgumentError("client_id must not be empty");
  if (lease_seconds < 4 || lease_seconds > 3600) {
    return InvalidArgumentError("lease_seconds must be in [4, 3600]");
  }
  if (idle_wait_seconds < 0) return InvalidArgumentError("idle_wait_seconds must be >= 0");
  if (unreachable_wait_seconds < 0) {
    return InvalidArgumentError("unreachable_wait_seconds must be >= 0");
  }
  if (checkpoint_every_steps < 0) return InvalidArgumentError("checkpoint_every_steps must be >= 0");
  return reducer.Validate();
}

Gang::Gang(Collectives* comm, std::unique_ptr<CoordinatorClient> client, GangOptions options)
    : comm_(comm), client_(std::move(client)), options_(std::move(options)) {}

GangCommand Gang::NextCommand(double* idle_seconds) {
  if (stop_requested_.load()) return GangCommand::Exit("stop requested");
  proto::AskRequest ask;
  ask.client_id = options_.client_id;
  ask.kind = "worker";
  ask.sweep_id = options_.sweep_id;
  ask.lease_seconds = options_.lease_seconds;
  ask.ranks = comm_->size();
  auto reply = client_->Ask(ask);
  if (!reply.ok()) {
    const Status& error = reply.status();
    if (!IsRetryable(error.code())) {
      // A bad token or a refused request does not get better by asking again.
      return GangCommand::Exit(
          "refused", Status(error.code(), "the coordinator refused the gang: " + error.message()));
    }
    if (unreachable_seconds_ >= options_.unreachable_wait_seconds) {
      return GangCommand::Exit(
          "unreachable",
          UnavailableError("the coordinator at " + client_->address() + " was unreachable for " +
                           std::to_string(static_cast<int64_t>(unreachable_seconds_)) +
                           " s (--unreachable-wait): " + error.message()));
    }
    HPS_LOG_LIMITED(WARNING, ask_log_) << "ask failed: " << error;
    unreachable_seconds_ += 1.0;
    return GangCommand::Wait(1.0, /*unreachable=*/true);
  }
  unreachable_seconds_ = 0;
  if (!reply->trials.empty()) {
    *idle_seconds = 0;
    const proto::LeasedTrial& lt = reply->trials[0];
    GangCommand train;
    train.kind = GangCommand::Kind::kTrain;
    train.trial = lt.trial;
    train.model = lt.program.model;
    if (lt.program.args.is_object()) train.args = lt.program.args;
    train.metric = lt.metric.name;
    train.precision = lt.program.precision;
    if (lt.program.IsCommand()) train.program = lt.program;
    return train;
  }
  if (reply->done) return GangCommand::Exit("no more work");
  return GangCommand::Wait(std::max(0.05, reply->retry_after_seconds));
}

Status Gang::Run() {
  const bool leader = comm_->rank() == 0;
  double idle = 0;
  while (true) {
    std::string bytes;
    if (leader) bytes = NextCommand(&idle).Encode();
    HPS_RETURN_IF_ERROR(comm_->BroadcastBytes(&bytes, 0));
    auto command = GangCommand::Decode(bytes);
    // The leader wrote it: a command that does not read back is a bug.
    if (!command.ok()) return InternalError("gang command: " + command.status().ToString());
    switch (command->kind) {
      case GangCommand::Kind::kExit:
        if (!command->error.ok()) return command->error;
        if (leader) HPS_LOG(INFO) << "gang exits: " << command->reason;
        return Status();
      case GangCommand::Kind::kWait: {
        std::this_thread::sleep_for(std::chrono::duration<double>(command->seconds));
        if (!command->unreachable) idle += command->seconds;
        const bool give_up = leader && idle >= options_.idle_wait_seconds;
        std::string verdict = give_up ? "1" : "0";
        HPS_RETURN_IF_ERROR(comm_->BroadcastBytes(&verdict, 0));
        if (verdict == "1") {
          if (leader) HPS_LOG(INFO) << "gang exits: no work for " << idle << " s";
          return Status();
        }
        break;
      }
      case GangCommand::Kind::kTrain:
        HPS_RETURN_IF_ERROR(RunTrial(*command));
        HPS_RETURN_IF_ERROR(ShareStats());
        break;
    }
  }
}

Status Gang::ShareStats() {
  if (comm_->size() == 1) return Status();
  // Only the leader hears the coordinator's last word on a trial (a
  // completion refused, a failure after a stop counted as a stop).
  std::string bytes;
  if (comm_->rank() == 0) {
    bytes = proto::DumpJson(Json{{"completed", stats_.trials_completed},
                                 {"failed", stats_.trials_failed},
                                 {"stopped", stats_.trials_stopped},
                                 {"resumed", stats_.trials_resumed}});
  }
  HPS_RETURN_IF_ERROR(comm_->BroadcastBytes(&bytes, 0));
  HPS_ASSIGN_OR_RETURN(Json j, proto::ParseJsonText(bytes, {proto::kMaxWrittenJsonDepth}));
  proto::JsonReader r(j, "");
  GangStats shared;
  HPS_RETURN_IF_ERROR(r.Int("completed", &shared.trials_completed));
  HPS_RETURN_IF_ERROR(r.Int("failed", &shared.trials_failed));
  HPS_RETURN_IF_ERROR(r.Int("stopped", &shared.trials_stopped));
  HPS_RETURN_IF_ERROR(r.Int("resumed", &shared.trials_resumed));
  stats_ = shared;
  return Status();
}

StatusOr<proto::Trial> Gang::CompleteWithRetry(uint64_t trial_id,
                                               const proto::CompleteRequest& request) {
  double waited = 0;
  while (true) {
    auto done = client_->Complete(trial_id, request);
    if (done.ok() || done.status().code() != StatusCode::kUnavailable ||
        waited >= options_.unreachable_wait_seconds || stop_requested_.load()) {
      return done;
    }
    HPS_LOG_LIMITED(WARNING, ask_log_) << "complete trial " << trial_id << ": " << done.status()
                                       << "; retrying";
    std::this_thread::sleep_for(std::chrono::seconds(1));
    waited += 1.0;
  }
}

Status Gang::RunTrial(const GangCommand& command) {
  const bool leader = comm_->rank() == 0;
  const proto::Trial& trial = command.trial;
  if (command.program.IsCommand()) {
    CommandTrialOptions command_options;
    command_options.client_id = options_.client_id;
    command_options.lease_seconds = options_.lease_seconds;
    command_options.base_dir = options_.base_dir;
    HPS_ASSIGN_OR_RETURN(CommandTrialResult ran,
                         RunCommandTrial(comm_, client_.get(), command_options, trial,
                                         command.program, command.metric, stop_requested_));
    stats_.trials_resumed += ran.resumed ? 1 : 0;
    stats_.trials_completed += ran.end == CommandTrialResult::End::kCompleted ? 1 : 0;
    stats_.trials_failed += ran.end == CommandTrialResult::End::kFailed ? 1 : 0;
    stats_.trials_stopped += ran.end == CommandTrialResult::End::kStopped ? 1 : 0;
    return Status();
  }
  const std::string& model = command.model;
  const std::string& metric = command.metric;
  Json params = command.args;
  for (auto it = trial.params.begin(); it != trial.params.end(); ++it) params[it.key()] = it.value();

  models::WorkloadContext context;
  context.device = options_.device;
  context.base_dir = options_.base_dir;
  context.data_seed = SweepDataSeed(trial.sweep_id);
  // A PBT child (coordinator/lifecycle/pbt.h) continues its lineage's model:
  // seeded from the lineage's first trial.
  context.seed =
      TrialTrainingSeed(trial.sweep_id, trial.parent ? trial.parent->root_number : trial.number);
  // ...and, until it stores a checkpoint of its own, starts from its
  // parent's with its own (explored) hyperparameters.
  const bool from_parent = trial.parent.has_value() && trial.checkpoint_step < 0;
  auto workload = models::CreateWorkload(model, params, context);
  StatusOr<Precision> precision = ParsePrecision(command.precision);
  if (workload.ok() && !precision.ok()) workload = precision.status();
  // Building is deterministic, but ranks must agree before any collective.
  auto verdicts = comm_->AllgatherBytes(workload.ok() ? "" : workload.status().ToString());
  if (!verdicts.ok()) return verdicts.status();
  std::string build_error;
  for (const auto& v : *verdicts) {
    if (!v.empty() && build_error.empty()) build_error = v;
  }
  if (!build_error.empty()) {
    if (leader) {
      HPS_LOG(WARNING) << "trial " << trial.id << " cannot be built: " << build_error;
      auto failed = client_->Fail(trial.id, {options_.client_id, "cannot build model \"" + model +
                                                                     "\": " + build_error});
      if (!failed.ok()) HPS_LOG(WARNING) << "fail trial " << trial.id << ": " << failed.status();
    }
    ++stats_.trials_failed;
    return Status();
  }

  std::string resume;
  if (leader && trial.checkpoint_step >= 0) {
    auto checkpoint = client_->DownloadCheckpoint(trial.id, -1);
    if (checkpoint.ok()) {
      resume = std::move(checkpoint->second);
      HPS_LOG(INFO) << "trial " << trial.id << " attempt " << trial.attempt
                    << ": resuming from its checkpoint at step " << checkpoint->first;
      ++stats_.trials_resumed;
    } else {
      HPS_LOG(WARNING) << "trial " << trial.id << ": checkpoint unavailable ("
                       << checkpoint.status() << "); starting from step 0";
    }
  } else if (leader && from_parent) {
    const proto::TrialParent& parent = *trial.parent;
    auto checkpoint = client_->DownloadCheckpoint(parent.trial_id, parent.checkpoint_step);
    if (checkpoint.ok()) {
      resume = std::move(checkpoint->second);
      HPS_LOG(INFO) << "trial " << trial.id << ": starting from parent trial " << parent.trial_id
                    << "'s checkpoint at step " << checkpoint->first << " (reported step "
                    << parent.start_step << ") with " << parent.explore;
    } else {
      HPS_LOG(WARNING) << "trial " << trial.id << ": parent trial " << parent.trial_id
                       << "'s checkpoint at step " << parent.checkpoint_step << " unavailable ("
                       << checkpoint.status() << "); starting from step 0";
    }
  }

  std::unique_ptr<Heartbeater> heartbeater;
  if (leader) {
    heartbeater = std::make_unique<Heartbeater>(*client_, trial.id, options_.client_id,
                                                options_.lease_seconds / 4.0);
  }
  bool stopped_by_coordinator = false;
  TrainerCallbacks callbacks;
  callbacks.on_epoch = [&](const EpochReport& report) {
    proto::Values values(report.metrics.begin(), report.metrics.end());
    values["train_loss"] = report.train_loss;
    values["epoch"] = static_cast<double>(report.state.epoch);
    // The report's step counts epochs (1, 2, ...): the unit early stopping's
    // rungs are given in (proto/sweep_schema.md, early_terminate), the same
    // for every batch size. Checkpoints keep global steps.
    auto decision = client_->Report(trial.id, {options_.client_id, report.state.epoch, values});
    if (!decision.ok()) {
      HPS_LOG(WARNING) << "report for trial " << trial.id << ": " << decision.status();
      if (!IsRetryable(decision.status().code()) ||
          decision.status().code() == StatusCode::kAborted) {
        stopped_by_coordinator = true;  // lease lost: someone else owns the trial now
        return Decision::kStop;
      }
    } else if (decision->stop) {
      stopped_by_coordinator = true;
      return Decision::kStop;
    }
    if (!heartbeater->stop_reason().empty()) {
      stopped_by_coordinator = true;
      return Decision::kStop;
    }
    // Shutting down (SIGTERM): upload this epoch's checkpoint, then release.
    return stop_requested_.load() ? Decision::kCheckpointAndStop : Decision::kContinue;
  };
  callbacks.on_checkpoint = [&](const std::string& bytes, const TrainState& state) {
    // A trial the coordinator stopped (pruned, cancelled, lease lost) is no
    // longer this gang's to store; a gang stopping on its own uploads the
    // step it stops at and gives the trial back.
    if (stopped_by_coordinator) return Status::Ok();
    Status uploaded =
        client_->UploadCheckpoint(trial.id, state.global_step, options_.client_id, bytes);
    if (uploaded.code() == StatusCode::kUnavailable) {
      // Cut off from the coordinator: keep training. If the link returns
      // within the lease nothing is lost but this checkpoint; if not, the
      // trial resumes elsewhere from the last one stored and this attempt's
      // later calls are refused as stale.
      HPS_LOG(WARNING) << "checkpoint of trial " << trial.id << " at step " << state.global_step
                       << " not stored (" << uploaded << "); training on";
      return Status();
    }
    return uploaded;
  };

  TrainerOptions trainer_options;
  trainer_options.seed = context.seed;
  trainer_options.checkpoint_every_steps = options_.checkpoint_every_steps;
  trainer_options.reducer = options_.reducer;
  trainer_options.precision = *precision;
  trainer_options.apply_new_optimizer_options = from_parent;
  Trainer trainer(comm_, trainer_options);
  StatusOr<TrainResult> result = trainer.Run(**workload, resume, callbacks);
  heartbeater.reset();
  if (!leader) return Status();

  if (!result.ok()) {
    HPS_LOG(WARNING) << "trial " << trial.id << " failed: " << result.status();
    ++stats_.trials_failed;
    auto failed = client_->Fail(trial.id, {options_.client_id, result.status().message()});
    if (!failed.ok()) HPS_LOG(WARNING) << "fail trial " << trial.id << ": " << failed.status();
    return Status();
  }
  if (result->end == TrainResult::End::kStopped) {
    ++stats_.trials_stopped;
    if (!stopped_by_coordinator) {
      // Shutting down: give the trial back so it resumes from the checkpoint
      // just uploaded without waiting for the lease to run out.
      auto released = client_->Release(trial.id, options_.client_id);
      if (!released.ok()) HPS_LOG(WARNING) << "release trial " << trial.id << ": " << released.status();
    }
    HPS_LOG(INFO) << "trial " << trial.id << " stopped at step " << result->state.global_step
                  << (stopped_by_coordinator ? " by the coordinator" : " (gang stopping)");
    return Status();
  }
  proto::Values values(result->metrics.begin(), result->metrics.end());
  if (values.find(metric) == values.end()) {
    std::string known;
    for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
    ++stats_.trials_failed;
    auto failed = client_->Fail(trial.id, {options_.client_id, "model \"" + model +
                                                                   "\" reports [" + known +
                                                                   "], not the sweep metric \"" +
                                                                   metric + "\""});
    if (!failed.ok()) HPS_LOG(WARNING) << "fail trial " << trial.id << ": " << failed.status();
    return Status();
  }
  auto done = CompleteWithRetry(trial.id, {options_.client_id, values});
  if (!done.ok()) {
    HPS_LOG(WARNING) << "complete trial " << trial.id << " (attempt " << trial.attempt
                     << ") not recorded: " << done.status();
  } else if (done->attempt != trial.attempt) {
    HPS_LOG(WARNING) << "complete trial " << trial.id << " (attempt " << trial.attempt
                     << ") not recorded: attempt " << done->attempt
                     << " had completed it already";
  } else {
    ++stats_.trials_completed;
    HPS_LOG(INFO) << "trial " << trial.id << " completed: " << metric << "=" << values[metric];
  }
  return Status();
}

}  // namespace hpsweep::worker
