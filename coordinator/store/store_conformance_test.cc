// The Store contract for records (sweeps, trials, metrics, events, meta),
// run over every implementation (store_conformance.h).
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/store/store.h"
#include "coordinator/store/store_conformance.h"
#include "gtest/gtest.h"
#include "proto/messages.h"

namespace hpsweep::coordinator::store_testing {
namespace {

using proto::Json;

TEST(WriteSetTest, AppendMovesEverythingAfterOwnMutations) {
  WriteSet a;
  a.trials.push_back(MakeTrial(1, 1));
  WriteSet b;
  b.trials.push_back(MakeTrial(1, 2));
  b.metrics.push_back({2, MakePoint(0, 1.0)});
  b.events.push_back(MakeEvent(1));
  b.meta.push_back({"k", "v"});
  b.sweeps.push_back(MakeSweep(1));
  EXPECT_TRUE(a.empty() == false);
  a.Append(std::move(b));
  EXPECT_EQ(TrialIds(a.trials), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(a.metrics.size(), 1u);
  EXPECT_EQ(a.events.size(), 1u);
  EXPECT_EQ(a.meta.size(), 1u);
  EXPECT_EQ(a.sweeps.size(), 1u);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): Append leaves it empty
}

TEST_P(StoreTest, EmptyStore) {
  EXPECT_TRUE(store_->LoadSweeps()->empty());
  EXPECT_TRUE(store_->LoadTrials(1, 0, 0)->empty());
  EXPECT_TRUE(store_->ReadMetrics(1, 0, 0)->empty());
  EXPECT_TRUE(store_->ReadEvents(0, 0)->empty());
  EXPECT_TRUE(store_->Commit(WriteSet()).ok());
}

TEST_P(StoreTest, SweepsRoundTripOrderedById) {
  WriteSet w;
  for (uint64_t id : {3, 1, 2, 300}) w.sweeps.push_back(MakeSweep(id));
  ASSERT_TRUE(store_->Commit(w).ok());
  auto sweeps = store_->LoadSweeps();
  ASSERT_TRUE(sweeps.ok()) << sweeps.status();
  ASSERT_EQ(sweeps->size(), 4u);
  std::vector<uint64_t> ids;
  for (const auto& s : *sweeps) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2, 3, 300}));
  EXPECT_EQ(proto::ToJson((*sweeps)[2]), proto::ToJson(MakeSweep(3)));
}

TEST_P(StoreTest, TrialsOrderedByIdWithPagination) {
  WriteSet w;
  for (uint64_t id : {5, 1, 3, 2, 4, 256, 257}) w.trials.push_back(MakeTrial(1, id));
  w.trials.push_back(MakeTrial(2, 100));
  w.trials.push_back(MakeTrial(0, 7));
  ASSERT_TRUE(store_->Commit(w).ok());

  auto all = store_->LoadTrials(1, 0, 0);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(TrialIds(*all), (std::vector<uint64_t>{1, 2, 3, 4, 5, 256, 257}));
  EXPECT_EQ(proto::ToJson((*all)[0]), proto::ToJson(MakeTrial(1, 1)));
  EXPECT_EQ(TrialIds(*store_->LoadTrials(1, 2, 2)), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(TrialIds(*store_->LoadTrials(1, 5, 0)), (std::vector<uint64_t>{256, 257}));
  EXPECT_EQ(TrialIds(*store_->LoadTrials(1, 257, 10)), (std::vector<uint64_t>{}));
  EXPECT_EQ(TrialIds(*store_->LoadTrials(1, UINT64_MAX, 0)), (std::vector<uint64_t>{}));
  EXPECT_EQ(TrialIds(*store_->LoadTrials(2, 0, 0)), (std::vector<uint64_t>{100}));
  EXPECT_EQ(TrialIds(*store_->LoadTrials(0, 0, 0)), (std::vector<uint64_t>{7}));
  EXPECT_EQ(TrialIds(*store_->LoadTrials(3, 0, 0)), (std::vector<uint64_t>{}));

  // Paging through in pages of 3 visits each trial once.
  std::vector<uint64_t> paged;
  uint64_t after = 0;
  while (true) {
    auto page = store_->LoadTrials(1, after, 3);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    for (const auto& t : *page) paged.push_back(t.id);
    after = page->back().id;
  }
  EXPECT_EQ(paged, TrialIds(*all));
}

TEST_P(StoreTest, MetricsInStepOrder) {
  WriteSet w;
  for (int64_t step : {5, 1, 300, 3, 0, 2, -1}) w.metrics.push_back({7, MakePoint(step, step * 0.5)});
  w.metrics.push_back({8, MakePoint(4, 9.0)});
  w.metrics.push_back({6, MakePoint(4, 9.0)});
  ASSERT_TRUE(store_->Commit(w).ok());

  auto curve = store_->ReadMetrics(7, INT64_MIN, 0);
  ASSERT_TRUE(curve.ok()) << curve.status();
  EXPECT_EQ(Steps(*curve), (std::vector<int64_t>{-1, 0, 1, 2, 3, 5, 300}));
  EXPECT_EQ(proto::ToJson((*curve)[4]), proto::ToJson(MakePoint(3, 1.5)));
  EXPECT_EQ(Steps(*store_->ReadMetrics(7, 0, 0)), (std::vector<int64_t>{0, 1, 2, 3, 5, 300}));
  EXPECT_EQ(Steps(*store_->ReadMetrics(7, 2, 2)), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Steps(*store_->ReadMetrics(7, 4, 0)), (std::vector<int64_t>{5, 300}));
  EXPECT_EQ(Steps(*store_->ReadMetrics(7, 301, 0)), (std::vector<int64_t>{}));
  EXPECT_EQ(Steps(*store_->ReadMetrics(8, 0, 0)), (std::vector<int64_t>{4}));
  EXPECT_EQ(Steps(*store_->ReadMetrics(9, 0, 0)), (std::vector<int64_t>{}));
}

TEST_P(StoreTest, UpsertsReplaceWholeRecords) {
  WriteSet w;
  proto::Trial t = MakeTrial(1, 1);
  t.error = "boom";
  t.objective = 0.5;
  w.trials.push_back(t);
  w.metrics.push_back({1, MakePoint(3, 1.0)});
  ASSERT_TRUE(store_->Commit(w).ok());

  WriteSet again;
  proto::Trial replaced = MakeTrial(1, 1);
  replaced.state = proto::TrialState::kCompleted;
  again.trials.push_back(replaced);
  proto::MetricPoint point = MakePoint(3, 2.0);
  point.values = {{"acc", 0.9}};
  again.metrics.push_back({1, point});
  ASSERT_TRUE(store_->Commit(again).ok());

  auto trials = store_->LoadTrials(1, 0, 0);
  ASSERT_EQ(trials->size(), 1u);
  EXPECT_EQ(proto::ToJson((*trials)[0]), proto::ToJson(replaced));
  EXPECT_TRUE((*trials)[0].error.empty());
  EXPECT_FALSE((*trials)[0].objective.has_value());
  auto curve = store_->ReadMetrics(1, 0, 0);
  ASSERT_EQ(curve->size(), 1u);
  EXPECT_EQ((*curve)[0].values, (proto::Values{{"acc", 0.9}}));

  // Within one WriteSet the later mutation wins.
  WriteSet twice;
  twice.trials.push_back(MakeTrial(1, 2));
  proto::Trial later = MakeTrial(1, 2);
  later.attempt = 2;
  twice.trials.push_back(later);
  ASSERT_TRUE(store_->Commit(twice).ok());
  EXPECT_EQ(store_->LoadTrials(1, 1, 0)->at(0).attempt, 2);
}

TEST_P(StoreTest, EventsAfterSeq) {
  WriteSet w;
  for (uint64_t seq = 1; seq <= 10; ++seq) w.events.push_back(MakeEvent(seq));
  w.events.push_back(MakeEvent(1000));
  ASSERT_TRUE(store_->Commit(w).ok());
  auto all = store_->ReadEvents(0, 0);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 11u);
  EXPECT_EQ(proto::ToJson((*all)[0]), proto::ToJson(MakeEvent(1)));
  EXPECT_EQ(Seqs(*store_->ReadEvents(3, 4)), (std::vector<uint64_t>{4, 5, 6, 7}));
  EXPECT_EQ(Seqs(*store_->ReadEvents(10, 0)), (std::vector<uint64_t>{1000}));
  EXPECT_EQ(Seqs(*store_->ReadEvents(1000, 0)), (std::vector<uint64_t>{}));
  EXPECT_EQ(Seqs(*store_->ReadEvents(UINT64_MAX, 0)), (std::vector<uint64_t>{}));
}

TEST_P(StoreTest, Meta) {
  auto version = store_->GetMeta("schema_version");
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, std::optional<std::string>(std::string(kSchemaVersion)));
  EXPECT_EQ(*store_->GetMeta("next_trial_id"), std::nullopt);

  WriteSet w;
  w.meta.push_back({"next_trial_id", "42"});
  w.meta.push_back({"", "empty key"});
  w.meta.push_back({std::string("bin\0ary", 7), std::string("\xff\x00", 2)});
  ASSERT_TRUE(store_->Commit(w).ok());
  EXPECT_EQ(*store_->GetMeta("next_trial_id"), std::optional<std::string>("42"));
  EXPECT_EQ(*store_->GetMeta(""), std::optional<std::string>("empty key"));
  EXPECT_EQ(*store_->GetMeta(std::string("bin\0ary", 7)),
            std::optional<std::string>(std::string("\xff\x00", 2)));

  WriteSet reserved;
  reserved.meta.push_back({"schema_version", "99"});
  EXPECT_EQ(store_->Commit(reserved).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->GetMeta("schema_version"), std::optional<std::string>(std::string(kSchemaVersion)));
}

TEST_P(StoreTest, UnencodableWriteSetChangesNothing) {
  WriteSet bad_utf8;
  bad_utf8.sweeps.push_back(MakeSweep(1));
  bad_utf8.trials.push_back(MakeTrial(1, 1));
  proto::Trial t = MakeTrial(1, 2);
  t.error = "\xff\xfe not utf-8";
  bad_utf8.trials.push_back(t);
  bad_utf8.events.push_back(MakeEvent(1));
  Status s = store_->Commit(bad_utf8);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;

  WriteSet not_finite;
  not_finite.trials.push_back(MakeTrial(1, 1));
  not_finite.metrics.push_back({1, MakePoint(0, std::numeric_limits<double>::quiet_NaN())});
  s = store_->Commit(not_finite);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;

  WriteSet infinite_objective;
  proto::Trial inf = MakeTrial(1, 3);
  inf.objective = std::numeric_limits<double>::infinity();
  infinite_objective.trials.push_back(inf);
  EXPECT_EQ(store_->Commit(infinite_objective).code(), StatusCode::kInvalidArgument);

  WriteSet seq_zero;
  seq_zero.trials.push_back(MakeTrial(1, 1));
  seq_zero.events.push_back(MakeEvent(0));
  EXPECT_EQ(store_->Commit(seq_zero).code(), StatusCode::kInvalidArgument);

  EXPECT_TRUE(store_->LoadSweeps()->empty());
  EXPECT_TRUE(store_->LoadTrials(1, 0, 0)->empty());
  EXPECT_TRUE(store_->ReadMetrics(1, INT64_MIN, 0)->empty());
  EXPECT_TRUE(store_->ReadEvents(0, 0)->empty());
}

TEST_P(StoreTest, ConcurrentCommitsAllLand) {
  constexpr int kThreads = 8;
  constexpr int kCommitsPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < kCommitsPerThread; ++i) {
        uint64_t id = static_cast<uint64_t>(th * kCommitsPerThread + i + 1);
        WriteSet w;
        w.trials.push_back(MakeTrial(1, id));
        w.metrics.push_back({id, MakePoint(i, 1.0)});
        w.events.push_back(MakeEvent(id));
        if (!store_->Commit(w).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  constexpr size_t kTotal = kThreads * kCommitsPerThread;
  auto trials = store_->LoadTrials(1, 0, 0);
  ASSERT_EQ(trials->size(), kTotal);
  for (size_t i = 0; i < kTotal; ++i) EXPECT_EQ((*trials)[i].id, i + 1);
  EXPECT_EQ(store_->ReadEvents(0, 0)->size(), kTotal);
  for (uint64_t id = 1; id <= kTotal; ++id) {
    EXPECT_EQ(store_->ReadMetrics(id, INT64_MIN, 0)->size(), 1u) << "trial " << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::ValuesIn(AllStores()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace hpsweep::coordinator::store_testing
