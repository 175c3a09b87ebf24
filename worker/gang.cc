#include "worker/gang.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "models/workload.h"

namespace hpsweep::worker {

using proto::Json;

namespace {

// Per-trial seed from ids that survive restarts: the same trial trains the
// same way on every attempt.
uint64_t TrialTrainingSeed(uint64_t sweep_id, uint64_t number) {
  uint64_t z = sweep_id * 0x9E3779B97F4A7C15ULL + number + 0x2545F4914F6CDD1DULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Sends heartbeats for one trial from a background thread until stopped;
// remembers whether the coordinator asked to stop or the lease was lost.
class Heartbeater {
 public:
  Heartbeater(const proto::Connection& connection, uint64_t trial_id, std::string client_id,
              double period_seconds)
      : trial_id_(trial_id), client_id_(std::move(client_id)) {
    auto client = proto::CoordinatorClient::Create(connection);
    if (!client.ok()) return;
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

Gang::Gang(Collectives* comm, std::unique_ptr<proto::CoordinatorClient> client,
           proto::Connection connection, GangOptions options)
    : comm_(comm),
      client_(std::move(client)),
      connection_(std::move(connection)),
      options_(std::move(options)) {}

Json Gang::NextCommand(double* idle_seconds) {
  if (stop_requested_.load()) return {{"kind", "exit"}, {"reason", "stop requested"}};
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
      return {{"kind", "exit"},
              {"code", std::string(StatusCodeName(error.code()))},
              {"error", "the coordinator refused the gang: " + error.message()}};
    }
    if (unreachable_seconds_ >= options_.unreachable_wait_seconds) {
      return {{"kind", "exit"},
              {"code", std::string(StatusCodeName(StatusCode::kUnavailable))},
              {"error", "the coordinator at " + client_->url() + " was unreachable for " +
                            std::to_string(static_cast<int64_t>(unreachable_seconds_)) +
                            " s (--unreachable-wait): " + error.message()}};
    }
    HPS_LOG_LIMITED(WARNING, ask_log_) << "ask failed: " << error;
    unreachable_seconds_ += 1.0;
    return {{"kind", "wait"}, {"seconds", 1.0}, {"unreachable", true}};
  }
  unreachable_seconds_ = 0;
  if (!reply->trials.empty()) {
    *idle_seconds = 0;
    const proto::LeasedTrial& lt = reply->trials[0];
    return {{"kind", "train"},
            {"trial", proto::ToJson(lt.trial)},
            {"model", lt.program.model},
            {"args", lt.program.args},
            {"metric", lt.metric.name}};
  }
  if (reply->done) return {{"kind", "exit"}, {"reason", "no more work"}};
  return {{"kind", "wait"}, {"seconds", std::max(0.05, reply->retry_after_seconds)}};
}

Status Gang::Run() {
  const bool leader = comm_->rank() == 0;
  double idle = 0;
  while (true) {
    std::string bytes;
    if (leader) bytes = NextCommand(&idle).dump();
    HPS_RETURN_IF_ERROR(comm_->BroadcastBytes(&bytes, 0));
    const Json command = Json::parse(bytes);
    const std::string kind = command["kind"];
    if (kind == "exit") {
      if (command.contains("error")) {
        const std::string code = command.value("code", "");
        return Status(StatusCodeFromName(code).value_or(StatusCode::kUnavailable),
                      command["error"].get<std::string>());
      }
      if (leader) HPS_LOG(INFO) << "gang exits: " << command.value("reason", "");
      return Status();
    }
    if (kind == "wait") {
      const double seconds = command["seconds"].get<double>();
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      if (!command.value("unreachable", false)) idle += seconds;
      bool give_up = leader && idle >= options_.idle_wait_seconds;
      std::string verdict = give_up ? "1" : "0";
      HPS_RETURN_IF_ERROR(comm_->BroadcastBytes(&verdict, 0));
      if (verdict == "1") {
        if (leader) HPS_LOG(INFO) << "gang exits: no work for " << idle << " s";
        return Status();
      }
      continue;
    }
    HPS_RETURN_IF_ERROR(RunTrial(command));
  }
}

Status Gang::RunTrial(const Json& command) {
  const bool leader = comm_->rank() == 0;
  proto::Trial trial;
  HPS_RETURN_IF_ERROR(proto::FromJson(command["trial"], &trial));
  const std::string model = command["model"];
  const std::string metric = command["metric"];
  Json params = command["args"].is_object() ? command["args"] : Json::object();
  for (auto it = trial.params.begin(); it != trial.params.end(); ++it) params[it.key()] = it.value();

  models::WorkloadContext context;
  context.device = options_.device;
  context.base_dir = options_.base_dir;
  context.seed = TrialTrainingSeed(trial.sweep_id, trial.number);
  auto workload = models::CreateWorkload(model, params, context);
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
  }

  std::unique_ptr<Heartbeater> heartbeater;
  if (leader) {
    heartbeater = std::make_unique<Heartbeater>(connection_, trial.id, options_.client_id,
                                                options_.lease_seconds / 4.0);
  }
  bool stopped_by_coordinator = false;
  TrainerCallbacks callbacks;
  callbacks.on_epoch = [&](const EpochReport& report) {
    proto::Values values(report.metrics.begin(), report.metrics.end());
    values["train_loss"] = report.train_loss;
    values["epoch"] = static_cast<double>(report.state.epoch);
    auto decision = client_->Report(trial.id, {options_.client_id, report.state.global_step, values});
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
    return stop_requested_.load() ? Decision::kStop : Decision::kContinue;
  };
  callbacks.on_checkpoint = [&](const std::string& bytes, const TrainState& state) {
    return client_->UploadCheckpoint(trial.id, state.global_step, options_.client_id, bytes);
  };

  TrainerOptions trainer_options;
  trainer_options.seed = context.seed;
  trainer_options.checkpoint_every_steps = options_.checkpoint_every_steps;
  trainer_options.reducer = options_.reducer;
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
  auto done = client_->Complete(trial.id, {options_.client_id, values});
  if (!done.ok()) {
    HPS_LOG(WARNING) << "complete trial " << trial.id << ": " << done.status();
  } else {
    ++stats_.trials_completed;
    HPS_LOG(INFO) << "trial " << trial.id << " completed: " << metric << "=" << values[metric];
  }
  return Status();
}

}  // namespace hpsweep::worker
