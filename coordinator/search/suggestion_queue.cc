#include "coordinator/search/suggestion_queue.h"

#include <chrono>
#include <utility>

#include "common/logging.h"

namespace hpsweep::coordinator {

SuggestionQueue::SuggestionQueue(std::shared_ptr<Searcher> searcher, SuggestionExecutor executor,
                                 HistoryFn history, DeliveredFn on_delivered)
    : searcher_(std::move(searcher)),
      executor_(std::move(executor)),
      history_(std::move(history)),
      on_delivered_(std::move(on_delivered)),
      self_(std::make_shared<SuggestionQueue*>(this)) {}

SuggestionQueue::~SuggestionQueue() = default;

void SuggestionQueue::Invalidate() {
  ++version_;
  // The running fit's answer is stale now: let it stop early.
  if (cancel_) cancel_->store(true, std::memory_order_relaxed);
  stats_.stale += static_cast<int64_t>(ready_.size());
  ready_.clear();
}

std::optional<Suggestion> SuggestionQueue::Take() {
  if (ready_.empty()) return std::nullopt;
  Suggestion s = std::move(ready_.front());
  ready_.pop_front();
  return s;
}

void SuggestionQueue::Request(int count) {
  const int want = count - static_cast<int>(ready_.size());
  if (computing_ || want <= 0) return;
  computing_ = true;
  // The fit sees every trial, plus the suggestions already waiting to be
  // served as pending ones (they will be in flight soon).
  std::vector<TrialView> history = history_();
  uint64_t number = history.size();
  for (const Suggestion& s : ready_) {
    history.push_back(TrialView{
        number++, s.params, proto::TrialState::kPending, std::nullopt, {}, {}, std::nullopt, {}});
  }
  cancel_ = std::make_shared<std::atomic<bool>>(false);
  executor_.background([searcher = searcher_, history = std::move(history), number, want,
                        version = version_, deliver = executor_.deliver, cancel = cancel_,
                        weak = std::weak_ptr<SuggestionQueue*>(self_)] {
    const auto start = std::chrono::steady_clock::now();
    StatusOr<std::vector<Suggestion>> batch = searcher->SuggestBatch(history, number, want, cancel.get());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    deliver([weak, version, batch = std::move(batch), seconds]() mutable {
      if (auto self = weak.lock()) (*self)->Delivered(version, std::move(batch), seconds);
    });
  });
}

void SuggestionQueue::Delivered(uint64_t version, StatusOr<std::vector<Suggestion>> batch,
                                double seconds) {
  computing_ = false;
  cancel_.reset();
  stats_.seconds += seconds;
  if (!batch.ok() && batch.status().code() == StatusCode::kCancelled && version != version_) {
    ++stats_.cancelled;  // stopped early because a result arrived: not an error
    on_delivered_(Status());
    return;
  }
  if (!batch.ok()) {
    ++stats_.errors;
    on_delivered_(batch.status());
    return;
  }
  stats_.computed += static_cast<int64_t>(batch->size());
  if (version != version_) {
    stats_.stale += static_cast<int64_t>(batch->size());
  } else {
    for (Suggestion& s : *batch) ready_.push_back(std::move(s));
  }
  on_delivered_(Status());
}

}  // namespace hpsweep::coordinator
