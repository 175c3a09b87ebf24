// The Store contract, run over every implementation (TEST_P): the in-memory
// store and the RocksDB store in a fresh directory under $TEST_TMPDIR.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/store.h"
#include "gtest/gtest.h"
#include "proto/messages.h"
#include "proto/sweep_spec.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

// A fresh, empty directory for one store.
std::string NewTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/store_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char* dir = mkdtemp(buf.data());
  EXPECT_NE(dir, nullptr);
  return dir != nullptr ? std::string(dir) : tmpl;
}

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>(size_t chunk_bytes)> make;
};

void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

class StoreTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().make(1 << 20); }
  // Replaces the store with one that chunks checkpoints by `chunk_bytes`.
  void UseChunkBytes(size_t chunk_bytes) {
    store_.reset();
    store_ = GetParam().make(chunk_bytes);
  }

  std::unique_ptr<Store> store_;
};

proto::Sweep MakeSweep(uint64_t id) {
  auto spec = proto::ParseSweepSpec(Json::parse(R"({
    "name": "demo",
    "metric": {"name": "val_loss", "goal": "minimize"},
    "method": "random",
    "parameters": {"lr": {"distribution": "log_uniform", "min": 1e-4, "max": 1e-1}},
    "max_trials": 20,
    "program": {"model": "mlp"}
  })"));
  EXPECT_TRUE(spec.ok()) << spec.status();
  proto::Sweep s;
  s.id = id;
  s.spec = *spec;
  s.spec.name = "sweep-" + std::to_string(id);
  s.state = proto::SweepState::kRunning;
  s.counters.created = static_cast<int64_t>(id);
  s.created_us = 1000 + static_cast<int64_t>(id);
  return s;
}

proto::Trial MakeTrial(uint64_t sweep_id, uint64_t id) {
  proto::Trial t;
  t.id = id;
  t.sweep_id = sweep_id;
  t.number = id - 1;
  t.params = {{"lr", 0.01 * static_cast<double>(id)}};
  t.state = proto::TrialState::kRunning;
  t.lease_owner = "worker-" + std::to_string(id);
  t.lease_deadline_us = 5000;
  return t;
}

proto::MetricPoint MakePoint(int64_t step, double loss) {
  proto::MetricPoint p;
  p.step = step;
  p.values = {{"loss", loss}};
  p.time_us = 100 + step;
  return p;
}

proto::Event MakeEvent(uint64_t seq) {
  proto::Event e;
  e.seq = seq;
  e.time_us = static_cast<int64_t>(seq) * 10;
  e.type = "trial_leased";
  e.sweep_id = 1;
  e.trial_id = seq;
  return e;
}

std::vector<uint64_t> TrialIds(const std::vector<proto::Trial>& trials) {
  std::vector<uint64_t> ids;
  for (const auto& t : trials) ids.push_back(t.id);
  return ids;
}

std::vector<int64_t> Steps(const std::vector<proto::MetricPoint>& points) {
  std::vector<int64_t> steps;
  for (const auto& p : points) steps.push_back(p.step);
  return steps;
}

std::vector<uint64_t> Seqs(const std::vector<proto::Event>& events) {
  std::vector<uint64_t> seqs;
  for (const auto& e : events) seqs.push_back(e.seq);
  return seqs;
}

// Writes one finished checkpoint, appending `bytes` in pieces of `piece`.
void WriteCheckpoint(Store* store, uint64_t trial, int64_t step, const std::string& bytes,
                     size_t piece = 7) {
  auto writer = store->BeginCheckpoint(trial, step);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (size_t i = 0; i < bytes.size(); i += piece) {
    ASSERT_TRUE((*writer)->Append(std::string_view(bytes).substr(i, piece)).ok());
  }
  auto info = (*writer)->Finish();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->trial_id, trial);
  EXPECT_EQ(info->step, step);
  EXPECT_EQ(info->size_bytes, bytes.size());
}

// Reads a whole checkpoint back; also returns its chunk sizes.
std::string ReadAll(CheckpointReader* reader, std::vector<size_t>* chunk_sizes = nullptr) {
  std::string all, chunk;
  while (true) {
    auto more = reader->Next(&chunk);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    if (chunk_sizes != nullptr) chunk_sizes->push_back(chunk.size());
    all += chunk;
  }
  return all;
}

std::string ReadCheckpoint(Store* store, uint64_t trial, int64_t step) {
  auto reader = store->OpenCheckpoint(trial, step);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return "";
  return ReadAll(reader->get());
}

std::string Pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 31 % 251);
  return s;
}

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

TEST_P(StoreTest, CheckpointMultiChunkRoundTrip) {
  UseChunkBytes(16);
  const std::string bytes = Pattern(16 * 5 + 3, 'a');
  WriteCheckpoint(store_.get(), 4, 10, bytes, /*piece=*/7);
  auto reader = store_->OpenCheckpoint(4, 10);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->info().trial_id, 4u);
  EXPECT_EQ((*reader)->info().step, 10);
  EXPECT_EQ((*reader)->info().size_bytes, bytes.size());
  std::vector<size_t> sizes;
  EXPECT_EQ(ReadAll(reader->get(), &sizes), bytes);
  EXPECT_EQ(sizes, (std::vector<size_t>{16, 16, 16, 16, 16, 3}));
  std::string chunk;
  EXPECT_FALSE(*(*reader)->Next(&chunk));  // stays at the end

  // One large Append is split the same way; an exact multiple has no tail.
  const std::string big = Pattern(64, 'q');
  WriteCheckpoint(store_.get(), 4, 11, big, /*piece=*/64);
  reader = store_->OpenCheckpoint(4, 11);
  sizes.clear();
  EXPECT_EQ(ReadAll(reader->get(), &sizes), big);
  EXPECT_EQ(sizes, (std::vector<size_t>{16, 16, 16, 16}));
}

TEST_P(StoreTest, EmptyCheckpoint) {
  WriteCheckpoint(store_.get(), 1, 0, "");
  auto reader = store_->OpenCheckpoint(1, 0);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->info().size_bytes, 0u);
  std::string chunk;
  EXPECT_FALSE(*(*reader)->Next(&chunk));
}

TEST_P(StoreTest, LatestCheckpointAndListOrder) {
  WriteCheckpoint(store_.get(), 5, 10, "ten");
  WriteCheckpoint(store_.get(), 5, 300, "three hundred");
  WriteCheckpoint(store_.get(), 5, 20, "twenty");
  WriteCheckpoint(store_.get(), 6, 1000, "other trial");
  WriteCheckpoint(store_.get(), 4, 2000, "other trial");

  EXPECT_EQ(ReadCheckpoint(store_.get(), 5, -1), "three hundred");
  EXPECT_EQ(ReadCheckpoint(store_.get(), 5, 20), "twenty");
  auto list = store_->ListCheckpoints(5);
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<int64_t> steps;
  for (const auto& info : *list) {
    steps.push_back(info.step);
    EXPECT_EQ(info.trial_id, 5u);
  }
  EXPECT_EQ(steps, (std::vector<int64_t>{10, 20, 300}));
  EXPECT_EQ((*list)[1].size_bytes, 6u);
  EXPECT_TRUE(store_->ListCheckpoints(7)->empty());
}

TEST_P(StoreTest, DeletedCheckpointIsGoneAndAnOpenReaderKeepsItsBytes) {
  WriteCheckpoint(store_.get(), 5, 10, "ten");
  WriteCheckpoint(store_.get(), 5, 20, "twenty");
  auto open = store_->OpenCheckpoint(5, 10);
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_TRUE(store_->DeleteCheckpoint(5, 10).ok());
  EXPECT_EQ(store_->OpenCheckpoint(5, 10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListCheckpoints(5)->size(), 1u);
  EXPECT_EQ(ReadCheckpoint(store_.get(), 5, -1), "twenty");
  EXPECT_EQ(ReadAll(open->get()), "ten");
  EXPECT_TRUE(store_->DeleteCheckpoint(5, 10).ok()) << "deleting twice is harmless";
  EXPECT_TRUE(store_->DeleteCheckpoint(99, 1).ok());
}

TEST_P(StoreTest, MissingCheckpointIsNotFound) {
  WriteCheckpoint(store_.get(), 5, 10, "ten");
  EXPECT_EQ(store_->OpenCheckpoint(5, 11).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenCheckpoint(4, -1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenCheckpoint(6, -1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenCheckpoint(UINT64_MAX, -1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->BeginCheckpoint(5, -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, CheckpointInvisibleUntilFinish) {
  UseChunkBytes(8);
  auto writer = store_->BeginCheckpoint(3, 1);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Append(Pattern(40, 'x')).ok());  // several chunks written
  EXPECT_EQ(store_->OpenCheckpoint(3, 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenCheckpoint(3, -1).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListCheckpoints(3)->empty());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(ReadCheckpoint(store_.get(), 3, -1), Pattern(40, 'x'));

  // A finished writer takes nothing more.
  EXPECT_EQ((*writer)->Append("more").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Finish().status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(StoreTest, CheckpointDiscardedWhenWriterDestroyed) {
  UseChunkBytes(8);
  WriteCheckpoint(store_.get(), 3, 1, "kept");
  {
    auto writer = store_->BeginCheckpoint(3, 2);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(Pattern(50, 'd')).ok());
  }
  {  // A discarded replacement leaves the finished checkpoint alone.
    auto writer = store_->BeginCheckpoint(3, 1);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(Pattern(50, 'e')).ok());
  }
  EXPECT_EQ(store_->OpenCheckpoint(3, 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadCheckpoint(store_.get(), 3, -1), "kept");
  EXPECT_EQ(store_->ListCheckpoints(3)->size(), 1u);

  // The step can be written afresh afterwards.
  WriteCheckpoint(store_.get(), 3, 2, "fresh");
  EXPECT_EQ(ReadCheckpoint(store_.get(), 3, 2), "fresh");
}

TEST_P(StoreTest, CheckpointReplacedAtSameStep) {
  UseChunkBytes(8);
  const std::string old_bytes = Pattern(8 * 6, 'o');
  WriteCheckpoint(store_.get(), 9, 5, old_bytes);
  auto old_reader = store_->OpenCheckpoint(9, 5);
  ASSERT_TRUE(old_reader.ok());

  const std::string new_bytes = "short and new";  // fewer chunks than before
  WriteCheckpoint(store_.get(), 9, 5, new_bytes);
  std::vector<size_t> sizes;
  auto reader = store_->OpenCheckpoint(9, 5);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->info().size_bytes, new_bytes.size());
  EXPECT_EQ(ReadAll(reader->get(), &sizes), new_bytes);
  EXPECT_EQ(sizes.size(), 2u);  // no stale chunk from the old, longer version
  auto list = store_->ListCheckpoints(9);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].size_bytes, new_bytes.size());

  // A reader opened before the replacement keeps reading the old version.
  EXPECT_EQ((*old_reader)->info().size_bytes, old_bytes.size());
  EXPECT_EQ(ReadAll(old_reader->get()), old_bytes);
}

TEST_P(StoreTest, ConcurrentCheckpointWriters) {
  UseChunkBytes(32);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int step = 0; step < 5; ++step) {
        WriteCheckpoint(store_.get(), static_cast<uint64_t>(th % 2), step,
                        Pattern(100 + static_cast<size_t>(th), static_cast<char>('a' + th)));
      }
    });
  }
  for (auto& t : threads) t.join();
  for (uint64_t trial : {0, 1}) {
    auto list = store_->ListCheckpoints(trial);
    ASSERT_EQ(list->size(), 5u);
    for (const auto& info : *list) {
      std::string bytes = ReadCheckpoint(store_.get(), trial, info.step);
      EXPECT_EQ(bytes.size(), info.size_bytes);
      // Whole versions only: the bytes are exactly one writer's.
      EXPECT_TRUE(bytes == Pattern(bytes.size(), bytes[0])) << "trial " << trial;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreTest,
    ::testing::Values(StoreFactory{"Memory", [](size_t chunk_bytes) { return NewMemoryStore(chunk_bytes); }},
                      StoreFactory{"Rocks",
                                   [](size_t chunk_bytes) -> std::unique_ptr<Store> {
                                     RocksStoreOptions options;
                                     options.checkpoint_chunk_bytes = chunk_bytes;
                                     options.min_blob_size = 16;  // exercise blob files
                                     auto store = OpenRocksStore(NewTempDir(), options);
                                     EXPECT_TRUE(store.ok()) << store.status();
                                     return store.ok() ? std::move(*store) : nullptr;
                                   }}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace hpsweep::coordinator
