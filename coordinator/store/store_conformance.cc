// The conformance suite's shared fixture and builders (store_conformance.h).
#include "coordinator/store/store_conformance.h"

#include <stdlib.h>

#include <utility>

#include "coordinator/store/memory_store.h"
#include "coordinator/store/rocks_store.h"
#include "proto/sweep_spec.h"

namespace hpsweep::coordinator::store_testing {
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

}  // namespace

void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

std::vector<StoreFactory> AllStores() {
  return {StoreFactory{"Memory", [](size_t chunk_bytes) { return NewMemoryStore(chunk_bytes); }},
                      StoreFactory{"Rocks",
                                   [](size_t chunk_bytes) -> std::unique_ptr<Store> {
                                     RocksStoreOptions options;
                                     options.checkpoint_chunk_bytes = chunk_bytes;
                                     options.min_blob_size = 16;  // exercise blob files
                                     auto store = OpenRocksStore(NewTempDir(), options);
                                     EXPECT_TRUE(store.ok()) << store.status();
                                     return store.ok() ? std::move(*store) : nullptr;
                                   }}};
}

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

void WriteCheckpoint(Store* store, uint64_t trial, int64_t step, const std::string& bytes,
                     size_t piece) {
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

std::string ReadAll(CheckpointReader* reader, std::vector<size_t>* chunk_sizes) {
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

}  // namespace hpsweep::coordinator::store_testing
