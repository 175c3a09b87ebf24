// Store: the coordinator's durable state — sweeps, trials, metric curves,
// checkpoints, events and metadata — behind one interface with an in-memory
// implementation (tests, embedded dry runs) and a RocksDB implementation.
// Both pass the same conformance suite (store_conformance_test.cc).
//
// Durability contract: when Commit or CheckpointWriter::Finish returns OK, the
// data is synced (RocksDB: WAL fsync) and survives kill -9 and power loss of
// the process. A failed call changes nothing. Concurrent Commit calls from
// several threads are allowed and share a group commit (one fsync for all).
//
// Thread safety: every method may be called from any thread concurrently.
// Methods block on disk I/O: never call them on the network thread.
#ifndef HPSWEEP_COORDINATOR_STORE_STORE_H_
#define HPSWEEP_COORDINATOR_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

// One atomic group of mutations. Upserts replace the whole record.
struct WriteSet {
  std::vector<proto::Sweep> sweeps;
  std::vector<proto::Trial> trials;
  // (trial id, point); a point at an existing (trial, step) replaces it.
  std::vector<std::pair<uint64_t, proto::MetricPoint>> metrics;
  // Appended; the caller assigns increasing `seq` values.
  std::vector<proto::Event> events;
  std::vector<std::pair<std::string, std::string>> meta;

  bool empty() const {
    return sweeps.empty() && trials.empty() && metrics.empty() && events.empty() && meta.empty();
  }
  // Moves everything in `other` after this set's own mutations.
  void Append(WriteSet&& other);
};

// A stored record that does not decode: corrupted, or written under rules
// this build no longer accepts.
struct UndecodableRecord {
  // DATA_LOSS naming the table and key.
  Status status;
  // The ids the record's key carries (0 where it carries none), so that a
  // caller that skips the record can still keep from reusing them.
  uint64_t sweep_id = 0;
  uint64_t trial_id = 0;
};

struct CheckpointInfo {
  uint64_t trial_id = 0;
  int64_t step = 0;
  uint64_t size_bytes = 0;
  int64_t time_us = 0;
};

// Streams one checkpoint in. Nothing is visible to readers until Finish
// returns OK; destroying the writer without Finish discards what was written.
class CheckpointWriter {
 public:
  virtual ~CheckpointWriter() = default;
  virtual Status Append(std::string_view bytes) = 0;
  // Makes the checkpoint durable and visible (replacing one at the same step).
  virtual StatusOr<CheckpointInfo> Finish() = 0;
};

// Streams one checkpoint out, chunk by chunk; memory use is one chunk.
class CheckpointReader {
 public:
  virtual ~CheckpointReader() = default;
  virtual const CheckpointInfo& info() const = 0;
  // Fills *chunk with the next bytes; returns false at the end.
  virtual StatusOr<bool> Next(std::string* chunk) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies `writes` atomically and durably.
  virtual Status Commit(const WriteSet& writes) = 0;

  // Every sweep, ordered by id. A record that does not decode fails the call
  // (DATA_LOSS naming its key) when `undecodable` is null; otherwise it is
  // appended there and skipped, and the scan goes on.
  virtual StatusOr<std::vector<proto::Sweep>> LoadSweeps(
      std::vector<UndecodableRecord>* undecodable) = 0;
  StatusOr<std::vector<proto::Sweep>> LoadSweeps() { return LoadSweeps(nullptr); }
  // Trials of one sweep with id > after_trial_id, ordered by id; at most
  // `limit` (0: all) that decode. Records that do not decode as in LoadSweeps.
  virtual StatusOr<std::vector<proto::Trial>> LoadTrials(
      uint64_t sweep_id, uint64_t after_trial_id, size_t limit,
      std::vector<UndecodableRecord>* undecodable) = 0;
  StatusOr<std::vector<proto::Trial>> LoadTrials(uint64_t sweep_id, uint64_t after_trial_id,
                                                 size_t limit) {
    return LoadTrials(sweep_id, after_trial_id, limit, nullptr);
  }
  // Metric points of one trial with step >= from_step, in step order; at most
  // `limit` (0: all).
  virtual StatusOr<std::vector<proto::MetricPoint>> ReadMetrics(uint64_t trial_id, int64_t from_step,
                                                                size_t limit) = 0;
  // Events with seq > after_seq, in order; at most `limit` (0: all).
  virtual StatusOr<std::vector<proto::Event>> ReadEvents(uint64_t after_seq, size_t limit) = 0;
  // nullopt when the key was never written.
  virtual StatusOr<std::optional<std::string>> GetMeta(const std::string& key) = 0;

  virtual StatusOr<std::unique_ptr<CheckpointWriter>> BeginCheckpoint(uint64_t trial_id,
                                                                      int64_t step) = 0;
  // step < 0: the latest. NOT_FOUND when there is none.
  virtual StatusOr<std::unique_ptr<CheckpointReader>> OpenCheckpoint(uint64_t trial_id,
                                                                     int64_t step) = 0;
  // Finished checkpoints of a trial, in step order.
  virtual StatusOr<std::vector<CheckpointInfo>> ListCheckpoints(uint64_t trial_id) = 0;
  // Deletes the checkpoint at (trial, step) and frees its bytes (retention).
  // Deleting one that does not exist is OK. Readers already open keep reading
  // what they opened.
  virtual Status DeleteCheckpoint(uint64_t trial_id, int64_t step) = 0;

  // After a failed write (disk full, I/O error): makes the store accept
  // writes again if it can (RocksDB: DB::Resume) and proves it with a small
  // synced write. OK when writes work; the error otherwise. Default: OK.
  virtual Status Resume() { return Status::Ok(); }
};

// The schema version this build writes under meta key "schema_version".
inline constexpr std::string_view kSchemaVersion = "1";

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_STORE_STORE_H_
