// GroupCommitter: makes WriteSets durable in the order they were submitted,
// many per fsync.
//
// Submit queues a WriteSet with a callback; a committer thread takes whatever
// is queued, merges it into one atomic Store::Commit (one WAL fsync), and then
// calls each callback with the result. Under load the batch grows by itself,
// so throughput rises with the number of concurrent clients while a lone
// client still gets one fsync per request.
//
// A failed commit leaves memory ahead of disk; the committer reports it to the
// `on_failure` hook (the coordinator goes read-only and rebuilds its state
// from disk) and answers every later submission with UNAVAILABLE "storage
// unavailable: ..." until Resume.
//
// Thread safety: Submit may be called from any thread; callbacks run on the
// committer thread and must not block.
#ifndef HPSWEEP_COORDINATOR_STORE_GROUP_COMMITTER_H_
#define HPSWEEP_COORDINATOR_STORE_GROUP_COMMITTER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "coordinator/store/store.h"

namespace hpsweep::coordinator {

struct CommitStats {
  int64_t batches = 0;
  int64_t submissions = 0;
  int64_t commit_micros = 0;  // total time in Store::Commit
};

class GroupCommitter {
 public:
  using Callback = std::function<void(Status)>;

  // `store` and `clock` must outlive the committer.
  GroupCommitter(Store* store, Clock* clock, std::function<void(const Status&)> on_failure);
  // Commits what is queued, then stops the thread.
  ~GroupCommitter();

  // Queues `writes`; `done` is called once they are durable (or failed). An
  // empty WriteSet is answered in order with the others, without a commit of
  // its own.
  void Submit(WriteSet writes, Callback done);
  // Blocks until everything submitted so far has been committed.
  void Flush();
  // Accepts writes again after a failure. Submissions queued before the call
  // are answered with the failure: they came from the in-memory state that
  // the caller has just replaced with one rebuilt from disk. REQUIRES: called
  // on the thread that submits (no Submit concurrently).
  void Resume();
  CommitStats Stats() const;
  // Called on the committer thread with every WriteSet once it is durable
  // (several submissions merged), after their callbacks; it must not block
  // (the event stream, event_hub.h). REQUIRES: called before the first Submit.
  void SetObserver(std::function<void(const WriteSet&)> observer) { observer_ = std::move(observer); }

 private:
  struct Item {
    WriteSet writes;
    Callback done;
  };
  void Run();

  Store* store_;
  Clock* clock_;
  std::function<void(const Status&)> on_failure_;
  std::function<void(const WriteSet&)> observer_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  bool busy_ = false;
  Status failed_;
  CommitStats stats_;
  std::thread thread_;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_STORE_GROUP_COMMITTER_H_
