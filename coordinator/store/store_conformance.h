// The Store conformance suite's fixture and record builders, shared by the
// suite's files (store_conformance_test.cc: records; store_checkpoint_
// conformance_test.cc: checkpoints). Every TEST_P runs over AllStores().
#ifndef HPSWEEP_COORDINATOR_STORE_STORE_CONFORMANCE_H_
#define HPSWEEP_COORDINATOR_STORE_STORE_CONFORMANCE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "coordinator/store/store.h"
#include "gtest/gtest.h"
#include "proto/messages.h"

namespace hpsweep::coordinator::store_testing {

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>(size_t chunk_bytes)> make;
};

void PrintTo(const StoreFactory& f, std::ostream* os);

// The in-memory store and the RocksDB store in a fresh directory under
// $TEST_TMPDIR (blob files on, to exercise them).
std::vector<StoreFactory> AllStores();

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

proto::Sweep MakeSweep(uint64_t id);
proto::Trial MakeTrial(uint64_t sweep_id, uint64_t id);
proto::MetricPoint MakePoint(int64_t step, double loss);
proto::Event MakeEvent(uint64_t seq);
std::vector<uint64_t> TrialIds(const std::vector<proto::Trial>& trials);
std::vector<int64_t> Steps(const std::vector<proto::MetricPoint>& points);
std::vector<uint64_t> Seqs(const std::vector<proto::Event>& events);
// Writes one finished checkpoint, appending `bytes` in pieces of `piece`.
void WriteCheckpoint(Store* store, uint64_t trial, int64_t step, const std::string& bytes,
                     size_t piece = 7);
// Reads a whole checkpoint back; also returns its chunk sizes.
std::string ReadAll(CheckpointReader* reader, std::vector<size_t>* chunk_sizes = nullptr);
std::string ReadCheckpoint(Store* store, uint64_t trial, int64_t step);
// n bytes of a pattern that differs by `seed`.
std::string Pattern(size_t n, char seed);

}  // namespace hpsweep::coordinator::store_testing

#endif  // HPSWEEP_COORDINATOR_STORE_STORE_CONFORMANCE_H_
