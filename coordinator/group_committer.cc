#include "coordinator/group_committer.h"

#include "common/logging.h"

namespace hpsweep::coordinator {

GroupCommitter::GroupCommitter(Store* store, Clock* clock,
                               std::function<void(const Status&)> on_failure)
    : store_(store), clock_(clock), on_failure_(std::move(on_failure)) {
  thread_ = std::thread([this] { Run(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

void GroupCommitter::Submit(WriteSet writes, Callback done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Item{std::move(writes), std::move(done)});
  }
  work_cv_.notify_one();
}

void GroupCommitter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

CommitStats GroupCommitter::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void GroupCommitter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::deque<Item> batch;
    batch.swap(queue_);
    busy_ = true;
    const Status already_failed = failed_;
    lock.unlock();

    Status status = already_failed.ok() ? Status() : UnavailableError(
        "the coordinator stopped accepting writes after a storage failure: " +
        already_failed.message());
    int64_t micros = 0;
    if (status.ok()) {
      WriteSet merged;
      for (Item& item : batch) merged.Append(std::move(item.writes));
      if (!merged.empty()) {
        const int64_t start = clock_->MonotonicMicros();
        status = store_->Commit(merged);
        micros = clock_->MonotonicMicros() - start;
      }
    }
    for (Item& item : batch) item.done(status);

    lock.lock();
    ++stats_.batches;
    stats_.submissions += static_cast<int64_t>(batch.size());
    stats_.commit_micros += micros;
    busy_ = false;
    if (!status.ok() && failed_.ok()) {
      failed_ = status;
      lock.unlock();
      HPS_LOG(ERROR) << "storage commit failed: " << status;
      if (on_failure_) on_failure_(status);
      lock.lock();
    }
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace hpsweep::coordinator
