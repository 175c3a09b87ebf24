#include "coordinator/store/group_committer.h"

#include "common/logging.h"

namespace hpsweep::coordinator {

namespace {

// What a writer is told while storage fails: retry later (503).
Status StorageUnavailable(const Status& cause) {
  return UnavailableError("storage unavailable: " + cause.message());
}

}  // namespace

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

void GroupCommitter::Resume() {
  std::deque<Item> stale;
  Status failure;
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [this] { return !busy_; });
    if (failed_.ok()) return;
    failure = StorageUnavailable(failed_);
    stale.swap(queue_);
    failed_ = Status();
  }
  for (Item& item : stale) item.done(failure);
  idle_cv_.notify_all();
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

    Status status = already_failed.ok() ? Status() : StorageUnavailable(already_failed);
    int64_t micros = 0;
    WriteSet merged;
    if (status.ok()) {
      for (Item& item : batch) merged.Append(std::move(item.writes));
      if (!merged.empty()) {
        const int64_t start = clock_->MonotonicMicros();
        status = store_->Commit(merged);
        micros = clock_->MonotonicMicros() - start;
      }
    }
    const Status failed_here = already_failed.ok() ? status : Status();
    if (!failed_here.ok()) status = StorageUnavailable(failed_here);
    for (Item& item : batch) item.done(status);
    // After the replies, so that observers never delay them.
    if (status.ok() && !merged.empty() && observer_) observer_(merged);

    lock.lock();
    ++stats_.batches;
    stats_.submissions += static_cast<int64_t>(batch.size());
    stats_.commit_micros += micros;
    busy_ = false;
    if (!failed_here.ok() && failed_.ok()) {
      failed_ = failed_here;
      lock.unlock();
      HPS_LOG(ERROR) << "storage commit failed: " << failed_here;
      if (on_failure_) on_failure_(failed_here);
      lock.lock();
    }
    idle_cv_.notify_all();  // Flush waits for an empty queue, Resume for !busy_
  }
}

}  // namespace hpsweep::coordinator
