#include "coordinator/search/suggestion_queue.h"

#include <deque>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

// A searcher that records what each fit saw and proposes {"i": n} for trial
// number n (so tests can tell points apart), or fails when told to.
class RecordingSearcher final : public Searcher {
 public:
  StatusOr<std::optional<Json>> Suggest(const std::vector<TrialView>&, uint64_t number) override {
    return std::optional<Json>(Json{{"i", number}});
  }
  StatusOr<std::vector<Suggestion>> SuggestBatch(const std::vector<TrialView>& history,
                                                 uint64_t first_number, int count,
                                                 const std::atomic<bool>* cancelled) override {
    histories.push_back(history);
    cancel_flags.push_back(cancelled);
    counts.push_back(count);
    if (fail) return InternalError("fit diverged");
    if (stops_when_cancelled && cancelled != nullptr && cancelled->load()) {
      return CancelledError("no longer wanted");
    }
    std::vector<Suggestion> out;
    for (int i = 0; i < count; ++i) {
      out.push_back(Suggestion{Json{{"i", first_number + i}}, {}});
      out.back().origin.source = "model";
    }
    return out;
  }
  bool IsSlow() const override { return true; }

  std::vector<std::vector<TrialView>> histories;
  std::vector<int> counts;
  std::vector<const std::atomic<bool>*> cancel_flags;  // one per fit
  bool fail = false;
  bool stops_when_cancelled = false;
};

class SuggestionQueueTest : public testing::Test {
 protected:
  SuggestionQueueTest()
      : searcher_(std::make_shared<RecordingSearcher>()),
        queue_(std::make_unique<SuggestionQueue>(
            searcher_,
            SuggestionExecutor{[this](Task t) { background_.push_back(std::move(t)); },
                               [this](Task t) { delivered_.push_back(std::move(t)); }},
            [this] { return history_; }, [this](const Status& s) { deliveries_.push_back(s); })) {}

  void RunFits() {
    while (!background_.empty()) {
      Task t = std::move(background_.front());
      background_.pop_front();
      t();
    }
  }
  void Deliver() {
    while (!delivered_.empty()) {
      Task t = std::move(delivered_.front());
      delivered_.pop_front();
      t();
    }
  }

  std::shared_ptr<RecordingSearcher> searcher_;
  std::deque<Task> background_, delivered_;
  std::vector<TrialView> history_;
  std::vector<Status> deliveries_;
  std::unique_ptr<SuggestionQueue> queue_;
};

TEST_F(SuggestionQueueTest, OneFitAtATimeForTheShortfall) {
  queue_->Request(3);
  queue_->Request(5);  // a fit is running: the owner asks again when it delivers
  EXPECT_EQ(background_.size(), 1u);
  EXPECT_TRUE(queue_->computing());
  RunFits();
  EXPECT_FALSE(queue_->Take().has_value()) << "nothing is served before it is delivered";
  Deliver();
  ASSERT_EQ(deliveries_.size(), 1u);
  EXPECT_TRUE(deliveries_[0].ok());
  EXPECT_EQ(searcher_->counts, std::vector<int>{3}) << "three points as one batch";
  EXPECT_EQ(queue_->ready(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto s = queue_->Take();
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->params["i"], i) << "served in the order computed";
  }
  EXPECT_FALSE(queue_->Take().has_value());
  EXPECT_EQ(queue_->stats().computed, 3);
  EXPECT_EQ(queue_->stats().stale, 0);
}

TEST_F(SuggestionQueueTest, AResultMakesEverythingComputedBeforeItStale) {
  queue_->Request(2);
  RunFits();
  Deliver();
  ASSERT_EQ(queue_->ready(), 2u);
  queue_->Invalidate();
  EXPECT_FALSE(queue_->Take().has_value()) << "ready suggestions went stale";

  queue_->Request(1);
  RunFits();               // the fit ran on the old history...
  queue_->Invalidate();    // ...and a result arrived before it was delivered
  Deliver();
  EXPECT_FALSE(queue_->Take().has_value()) << "a stale fit's result is not served";
  EXPECT_EQ(deliveries_.size(), 2u) << "the owner still hears of it, to ask again";
  EXPECT_EQ(queue_->stats().stale, 3);
  EXPECT_FALSE(queue_->computing());
}

// A result arriving while a fit runs tells that fit to stop: its answer would
// be dropped, and the fresh fit after it should not wait for it.
TEST_F(SuggestionQueueTest, AResultStopsTheRunningFitEarly) {
  searcher_->stops_when_cancelled = true;
  queue_->Request(1);
  queue_->Invalidate();  // a result arrives before the fit finishes
  RunFits();
  ASSERT_EQ(searcher_->cancel_flags.size(), 1u);
  ASSERT_NE(searcher_->cancel_flags[0], nullptr);
  Deliver();
  ASSERT_EQ(deliveries_.size(), 1u);
  EXPECT_TRUE(deliveries_[0].ok()) << "a stopped fit is not an error: " << deliveries_[0];
  EXPECT_EQ(queue_->stats().cancelled, 1);
  EXPECT_EQ(queue_->stats().errors, 0);
  EXPECT_FALSE(queue_->computing());
  EXPECT_FALSE(queue_->Take().has_value());

  // The next fit gets a fresh flag and delivers.
  queue_->Request(1);
  RunFits();
  Deliver();
  ASSERT_EQ(searcher_->cancel_flags.size(), 2u);
  EXPECT_EQ(queue_->ready(), 1u);
}

TEST_F(SuggestionQueueTest, ReadySuggestionsArePendingForTheNextFit) {
  history_ = {
      TrialView{0, Json{{"i", 0}}, proto::TrialState::kCompleted, 1.0, {}, {}, std::nullopt, {}}};
  queue_->Request(1);
  RunFits();
  Deliver();
  ASSERT_EQ(queue_->ready(), 1u);
  queue_->Request(3);  // one is ready: two more are computed
  RunFits();
  Deliver();
  ASSERT_EQ(searcher_->counts.size(), 2u);
  EXPECT_EQ(searcher_->counts[1], 2);
  const std::vector<TrialView>& seen = searcher_->histories[1];
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].state, proto::TrialState::kPending);
  EXPECT_EQ(seen[1].params["i"], 1) << "the ready suggestion, as a pending trial";
  EXPECT_EQ(queue_->ready(), 3u);
}

TEST_F(SuggestionQueueTest, AFailedFitIsReportedAndNothingIsServed) {
  searcher_->fail = true;
  queue_->Request(1);
  RunFits();
  Deliver();
  ASSERT_EQ(deliveries_.size(), 1u);
  EXPECT_EQ(deliveries_[0].code(), StatusCode::kInternal);
  EXPECT_FALSE(queue_->Take().has_value());
  EXPECT_EQ(queue_->stats().errors, 1);
  EXPECT_FALSE(queue_->computing()) << "the next request may try again";
}

TEST_F(SuggestionQueueTest, AQueueGoneBeforeItsFitDeliversDropsTheResult) {
  queue_->Request(1);
  std::weak_ptr<RecordingSearcher> searcher = searcher_;
  queue_.reset();
  searcher_.reset();
  EXPECT_FALSE(searcher.expired()) << "the running fit keeps its searcher";
  RunFits();
  Deliver();  // nothing to deliver to: no crash, no callback
  EXPECT_TRUE(deliveries_.empty());
}

}  // namespace
}  // namespace hpsweep::coordinator
