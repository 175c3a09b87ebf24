#include "worker/fake_coordinator.h"

namespace hpsweep::worker {

class FakeCoordinator::Client final : public CoordinatorClient {
 public:
  explicit Client(FakeCoordinator* fake) : fake_(fake) {}

  StatusOr<proto::AskResponse> Ask(const proto::AskRequest& request) override {
    std::lock_guard<std::mutex> lock(fake_->mu_);
    ++fake_->record_.asks;
    HPS_RETURN_IF_ERROR(fake_->failure_);
    proto::AskResponse response;
    if (fake_->queue_.empty()) {
      response.done = fake_->done_when_empty_;
      response.retry_after_seconds = response.done ? 0 : 0.05;
      return response;
    }
    TrialState& t = fake_->trials_[fake_->queue_.front()];
    fake_->queue_.erase(fake_->queue_.begin());
    t.holder = request.client_id;
    t.leased.trial.state = proto::TrialState::kLeased;
    response.trials.push_back(t.leased);
    return response;
  }

  StatusOr<proto::Decision> Heartbeat(uint64_t trial_id, const std::string& client_id) override {
    std::lock_guard<std::mutex> lock(fake_->mu_);
    ++fake_->record_.heartbeats;
    HPS_RETURN_IF_ERROR(fake_->failure_);
    HPS_RETURN_IF_ERROR(fake_->CheckHolder(trial_id, client_id));
    return fake_->PruneDecision(trial_id);
  }

  StatusOr<proto::Decision> Report(uint64_t trial_id,
                                   const proto::ReportRequest& request) override {
    std::lock_guard<std::mutex> lock(fake_->mu_);
    HPS_RETURN_IF_ERROR(fake_->failure_);
    ++fake_->reports_seen_;
    if (fake_->reports_seen_ == fake_->lose_lease_at_report_) {
      auto it = fake_->trials_.find(trial_id);
      if (it != fake_->trials_.end()) it->second.lost = true;
    }
    HPS_RETURN_IF_ERROR(fake_->CheckHolder(trial_id, request.client_id));
    if (fake_->pruned_.count(trial_id)) return fake_->PruneDecision(trial_id);
    fake_->record_.reports[trial_id].push_back(request.values);
    fake_->record_.report_steps[trial_id].push_back(request.step);
    if (fake_->reports_seen_ == fake_->prune_at_report_) fake_->pruned_.insert(trial_id);
    if (fake_->on_report_) fake_->on_report_(fake_->reports_seen_);
    return fake_->PruneDecision(trial_id);
  }

  StatusOr<proto::Trial> Complete(uint64_t trial_id,
                                  const proto::CompleteRequest& request) override {
    std::lock_guard<std::mutex> lock(fake_->mu_);
    HPS_RETURN_IF_ERROR(fake_->failure_);
    HPS_RETURN_IF_ERROR(fake_->CheckHolder(trial_id, request.client_id));
    fake_->record_.completed[trial_id] = request.values;
    return Finish(trial_id, proto::TrialState::kCompleted);
  }

  StatusOr<proto::Trial> Fail(uint64_t trial_id, const proto::FailRequest& request) override {
    std::lock_guard<std::mutex> lock(fake_->mu_);
    HPS_RETURN_IF_ERROR(fake_->failure_);
    HPS_RETURN_IF_ERROR(fake_->CheckHolder(trial_id, request.client_id));
    fake_->record_.failed[trial_id] = request.error;
    return Finish(trial_id, proto::TrialState::kFailed);
  }

  StatusOr<proto::Trial> Release(uint64_t trial_id, const std::string& client_id) override {
    std::lock_guard<std::mutex> lock(fake_->mu_);
    HPS_RETURN_IF_ERROR(fake_->failure_);
    HPS_RETURN_IF_ERROR(fake_->CheckHolder(trial_id, client_id));
    fake_->record_.released.push_back(trial_id);
    return Finish(trial_id, proto::TrialState::kPending);
  }

  Status UploadCheckpoint(uint64_t trial_id, int64_t step, const std::string& client_id,
                          const std::string& bytes) override {
    std::lock_guard<std::mutex> lock(fake_->mu_);
    HPS_RETURN_IF_ERROR(fake_->failure_);
    HPS_RETURN_IF_ERROR(fake_->CheckHolder(trial_id, client_id));
    fake_->trials_[trial_id].checkpoints[step] = bytes;
    fake_->record_.checkpoint_steps[trial_id].push_back(step);
    return Status();
  }

  StatusOr<std::pair<int64_t, std::string>> DownloadCheckpoint(uint64_t trial_id,
                                                               int64_t step) override {
    std::lock_guard<std::mutex> lock(fake_->mu_);
    HPS_RETURN_IF_ERROR(fake_->failure_);
    auto it = fake_->trials_.find(trial_id);
    if (it == fake_->trials_.end() || it->second.checkpoints.empty()) {
      return NotFoundError("no checkpoint of trial " + std::to_string(trial_id));
    }
    const auto& checkpoints = it->second.checkpoints;
    auto found = step < 0 ? std::prev(checkpoints.end()) : checkpoints.find(step);
    if (found == checkpoints.end()) return NotFoundError("no checkpoint at that step");
    return std::make_pair(found->first, found->second);
  }

  StatusOr<std::unique_ptr<CoordinatorClient>> NewConnection() const override {
    return std::unique_ptr<CoordinatorClient>(std::make_unique<Client>(fake_));
  }
  std::string address() const override { return "fake://coordinator"; }

 private:
  // Requires fake_->mu_ and a trial the caller holds.
  proto::Trial Finish(uint64_t trial_id, proto::TrialState state) {
    TrialState& t = fake_->trials_[trial_id];
    t.holder.clear();
    t.leased.trial.state = state;
    return t.leased.trial;
  }

  FakeCoordinator* fake_;
};

Status FakeCoordinator::CheckHolder(uint64_t trial_id, const std::string& client_id) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return NotFoundError("no trial " + std::to_string(trial_id));
  if (it->second.lost || it->second.holder != client_id) {
    ++record_.refused_after_lease_lost;
    return AbortedError("trial " + std::to_string(trial_id) + " is not leased to " + client_id);
  }
  return Status();
}

void FakeCoordinator::AddTrial(proto::LeasedTrial trial) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = trial.trial.id;
  queue_.push_back(id);
  trials_[id].leased = std::move(trial);
}

void FakeCoordinator::set_failure(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  failure_ = std::move(status);
}

void FakeCoordinator::set_on_report(std::function<void(int64_t n)> on_report) {
  std::lock_guard<std::mutex> lock(mu_);
  on_report_ = std::move(on_report);
}

void FakeCoordinator::set_lose_lease_at_report(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  lose_lease_at_report_ = n;
}

void FakeCoordinator::set_prune_at_report(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  prune_at_report_ = n;
}

proto::Decision FakeCoordinator::PruneDecision(uint64_t trial_id) const {
  proto::Decision d;
  if (pruned_.count(trial_id)) {
    d.stop = true;
    d.reason = "trial pruned: asha: rung 0 (step 1): test";
  }
  return d;
}

void FakeCoordinator::set_done_when_empty(bool done) {
  std::lock_guard<std::mutex> lock(mu_);
  done_when_empty_ = done;
}

std::unique_ptr<CoordinatorClient> FakeCoordinator::NewClient() {
  return std::make_unique<Client>(this);
}

FakeCoordinator::Record FakeCoordinator::record() const {
  std::lock_guard<std::mutex> lock(mu_);
  return record_;
}

}  // namespace hpsweep::worker
