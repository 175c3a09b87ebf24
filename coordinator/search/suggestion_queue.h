// SuggestionQueue: fresh suggestions for one sweep whose searcher is slow
// (bayes, tpe), computed off the service strand.
//
// Freshness: every suggestion is stamped with the queue's version when the fit
// that produced it started. Invalidate() — called when a trial's result
// arrives or a trial the fits did not see is created — bumps the version, so
// suggestions computed before it are dropped and a fit in progress delivers
// into the void. Take() returns only suggestions of the current version: each
// one was computed from every result known when it is served.
//
// A fit running when Invalidate() is called is told to stop (its answer
// would be dropped anyway), so the fresh fit that follows starts sooner.
//
// Demand: Request(n) starts one fit for n suggestions together (a joint batch:
// each point conditioned on the others and on the trials in flight, which the
// history passes as pending) unless a fit is already running. Only one fit
// runs at a time; when it delivers, `on_delivered` runs on the service strand
// and the owner serves its waiting asks and calls Request again for the rest.
// Nothing is computed without demand, so no fit works on a history that a
// result is about to change.
//
//   idle ──Request(n)──▶ computing ──delivered, same version──▶ idle, n ready
//                          │   ▲
//      Invalidate() ───────┘   └── delivered stale: dropped; owner re-requests
//
// Thread safety: not thread-safe; called on the service strand. The fit runs
// on the executor's background thread with a copy of the history; its result
// comes back through the executor's `deliver` (the service strand). A queue
// destroyed while its fit runs drops the result.
#ifndef HPSWEEP_COORDINATOR_SEARCH_SUGGESTION_QUEUE_H_
#define HPSWEEP_COORDINATOR_SEARCH_SUGGESTION_QUEUE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/status.h"
#include "coordinator/search/searcher.h"

namespace hpsweep::coordinator {

// Runs a task somewhere else: `background` on a thread of its own (slow
// searcher fits), `deliver` back on the thread that owns the service.
using Task = std::function<void()>;
struct SuggestionExecutor {
  std::function<void(Task)> background;
  std::function<void(Task)> deliver;
};

struct SuggestionQueueStats {
  int64_t computed = 0;  // suggestions delivered by fits (fresh or not)
  int64_t stale = 0;     // of those, dropped because a result arrived meanwhile
  int64_t errors = 0;    // fits that failed
  int64_t cancelled = 0; // fits stopped early because a result arrived
  double seconds = 0;    // time spent in fits
};

class SuggestionQueue {
 public:
  // The sweep's trials, by number, for a fit (in-flight ones as pending).
  using HistoryFn = std::function<std::vector<TrialView>()>;

  // Called on the service strand after each fit: OK (fresh suggestions may
  // be ready, or none if the fit went stale) or the fit's error.
  using DeliveredFn = std::function<void(const Status&)>;

  // The fits share ownership of `searcher`, so the queue may go while one runs.
  SuggestionQueue(std::shared_ptr<Searcher> searcher, SuggestionExecutor executor,
                  HistoryFn history, DeliveredFn on_delivered);
  ~SuggestionQueue();
  SuggestionQueue(const SuggestionQueue&) = delete;
  SuggestionQueue& operator=(const SuggestionQueue&) = delete;

  // A result arrived (or a trial the fits did not see was created): every
  // suggestion computed so far is stale.
  void Invalidate();
  // The oldest fresh suggestion, if any.
  std::optional<Suggestion> Take();
  // Makes sure `count` fresh suggestions are coming: starts a fit for the
  // shortfall unless one is running (the owner asks again when it delivers).
  void Request(int count);
  bool computing() const { return computing_; }
  size_t ready() const { return ready_.size(); }
  const SuggestionQueueStats& stats() const { return stats_; }

 private:
  void Delivered(uint64_t version, StatusOr<std::vector<Suggestion>> batch, double seconds);

  std::shared_ptr<Searcher> searcher_;
  SuggestionExecutor executor_;
  HistoryFn history_;
  DeliveredFn on_delivered_;
  uint64_t version_ = 0;
  std::deque<Suggestion> ready_;  // all of version_
  bool computing_ = false;
  // Set by Invalidate() to stop the running fit early; null when idle.
  std::shared_ptr<std::atomic<bool>> cancel_;
  SuggestionQueueStats stats_;
  // Fits hold a weak reference: a result arriving after the queue is gone is
  // dropped.
  std::shared_ptr<SuggestionQueue*> self_;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SEARCH_SUGGESTION_QUEUE_H_
