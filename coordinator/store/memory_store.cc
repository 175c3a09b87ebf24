// MemoryStore: the Store in process memory, for tests and embedded dry runs.
//
// It keeps the same encoded keys and JSON values as the RocksDB store (one
// std::map per table, codec.h), so ordering, pagination, encoding errors
// and decoding are the same code paths; only durability differs. Checkpoints
// are chunked like RocksStore's and become visible only at Finish.
//
// Thread safety: one mutex guards all tables; readers and writers of
// checkpoints share ownership of the state, so they may outlive the store.
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "common/clock.h"
#include "coordinator/store/memory_store.h"
#include "coordinator/store/codec.h"

namespace hpsweep::coordinator {
namespace {

using internal::Table;

struct MemoryCheckpoint {
  CheckpointInfo info;
  // Immutable once published; a reader holds it, so a replacement at the same
  // step never changes what an open reader returns.
  std::shared_ptr<const std::vector<std::string>> chunks;
};

struct MemoryState {
  explicit MemoryState(size_t chunk_bytes) : chunk_bytes(chunk_bytes) {}

  const size_t chunk_bytes;
  RealClock clock;
  std::mutex mu;
  std::map<std::string, std::string> tables[internal::kNumTables];  // guarded by mu
  std::map<std::pair<uint64_t, int64_t>, MemoryCheckpoint> checkpoints;  // guarded by mu

  std::map<std::string, std::string>& table(Table t) { return tables[static_cast<int>(t)]; }

  // Decodes the records of `t` from `start` up to (excluding) `end` (empty:
  // no end), at most `limit` (0: all). With `undecodable`, a record that does
  // not decode is reported there instead of failing the scan.
  template <typename T, typename Decode>
  StatusOr<std::vector<T>> Scan(Table t, const std::string& start, const std::string& end,
                                size_t limit, Decode decode,
                                std::vector<UndecodableRecord>* undecodable = nullptr) {
    std::vector<T> out;
    std::lock_guard<std::mutex> lock(mu);
    const auto& rows = table(t);
    for (auto it = rows.lower_bound(start); it != rows.end(); ++it) {
      if (!end.empty() && it->first >= end) break;
      if (limit != 0 && out.size() >= limit) break;
      T record;
      Status decoded = decode(it->first, it->second, &record);
      if (!decoded.ok()) {
        if (undecodable == nullptr) return decoded;
        undecodable->push_back(internal::Undecodable(t, it->first, std::move(decoded)));
        continue;
      }
      out.push_back(std::move(record));
    }
    return out;
  }
};

class MemoryCheckpointWriter final : public CheckpointWriter {
 public:
  MemoryCheckpointWriter(std::shared_ptr<MemoryState> state, uint64_t trial_id, int64_t step)
      : state_(std::move(state)), trial_id_(trial_id), step_(step) {}

  Status Append(std::string_view bytes) override {
    if (finished_) return FailedPreconditionError("checkpoint writer already finished");
    size_bytes_ += bytes.size();
    while (!bytes.empty()) {
      if (chunks_.empty() || chunks_.back().size() >= state_->chunk_bytes) {
        chunks_.emplace_back();
        chunks_.back().reserve(state_->chunk_bytes);
      }
      std::string& chunk = chunks_.back();
      size_t take = std::min(bytes.size(), state_->chunk_bytes - chunk.size());
      chunk.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
    }
    return Status::Ok();
  }

  StatusOr<CheckpointInfo> Finish() override {
    if (finished_) return FailedPreconditionError("checkpoint writer already finished");
    finished_ = true;
    MemoryCheckpoint checkpoint;
    checkpoint.info = {trial_id_, step_, size_bytes_, state_->clock.NowMicros()};
    checkpoint.chunks = std::make_shared<const std::vector<std::string>>(std::move(chunks_));
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->checkpoints[{trial_id_, step_}] = checkpoint;
    return checkpoint.info;
  }

 private:
  const std::shared_ptr<MemoryState> state_;
  const uint64_t trial_id_;
  const int64_t step_;
  std::vector<std::string> chunks_;  // unpublished until Finish
  uint64_t size_bytes_ = 0;
  bool finished_ = false;
};

class MemoryCheckpointReader final : public CheckpointReader {
 public:
  explicit MemoryCheckpointReader(MemoryCheckpoint checkpoint) : checkpoint_(std::move(checkpoint)) {}

  const CheckpointInfo& info() const override { return checkpoint_.info; }

  StatusOr<bool> Next(std::string* chunk) override {
    if (next_ >= checkpoint_.chunks->size()) return false;
    *chunk = (*checkpoint_.chunks)[next_++];
    return true;
  }

 private:
  const MemoryCheckpoint checkpoint_;
  size_t next_ = 0;
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(size_t checkpoint_chunk_bytes)
      : state_(std::make_shared<MemoryState>(std::max<size_t>(checkpoint_chunk_bytes, 1))) {
    state_->table(Table::kMeta)[std::string(internal::kSchemaVersionKey)] = std::string(kSchemaVersion);
  }

  Status Commit(const WriteSet& writes) override {
    HPS_ASSIGN_OR_RETURN(std::vector<internal::EncodedPut> puts, internal::EncodeWriteSet(writes));
    std::lock_guard<std::mutex> lock(state_->mu);
    for (internal::EncodedPut& put : puts) {
      state_->table(put.table)[std::move(put.key)] = std::move(put.value);
    }
    return Status::Ok();
  }

  StatusOr<std::vector<proto::Sweep>> LoadSweeps(
      std::vector<UndecodableRecord>* undecodable) override {
    return state_->Scan<proto::Sweep>(Table::kSweeps, "", "", 0, internal::DecodeSweep,
                                      undecodable);
  }

  StatusOr<std::vector<proto::Trial>> LoadTrials(
      uint64_t sweep_id, uint64_t after_trial_id, size_t limit,
      std::vector<UndecodableRecord>* undecodable) override {
    if (after_trial_id == UINT64_MAX) return std::vector<proto::Trial>{};
    return state_->Scan<proto::Trial>(
        Table::kTrials, internal::TrialKey(sweep_id, after_trial_id + 1),
        internal::PrefixSuccessor(internal::TrialPrefix(sweep_id)), limit, internal::DecodeTrial,
        undecodable);
  }

  StatusOr<std::vector<proto::MetricPoint>> ReadMetrics(uint64_t trial_id, int64_t from_step,
                                                        size_t limit) override {
    return state_->Scan<proto::MetricPoint>(
        Table::kMetrics, internal::MetricKey(trial_id, from_step),
        internal::PrefixSuccessor(internal::MetricPrefix(trial_id)), limit, internal::DecodeMetric);
  }

  StatusOr<std::vector<proto::Event>> ReadEvents(uint64_t after_seq, size_t limit) override {
    if (after_seq == UINT64_MAX) return std::vector<proto::Event>{};
    return state_->Scan<proto::Event>(Table::kEvents, internal::EventKey(after_seq + 1), "", limit,
                                      internal::DecodeEvent);
  }

  StatusOr<std::optional<std::string>> GetMeta(const std::string& key) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    const auto& meta = state_->table(Table::kMeta);
    auto it = meta.find(key);
    if (it == meta.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  StatusOr<std::unique_ptr<CheckpointWriter>> BeginCheckpoint(uint64_t trial_id,
                                                              int64_t step) override {
    HPS_RETURN_IF_ERROR(internal::ValidateCheckpointStep(step));
    return std::unique_ptr<CheckpointWriter>(
        std::make_unique<MemoryCheckpointWriter>(state_, trial_id, step));
  }

  StatusOr<std::unique_ptr<CheckpointReader>> OpenCheckpoint(uint64_t trial_id,
                                                             int64_t step) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    auto& all = state_->checkpoints;
    auto it = all.end();
    if (step >= 0) {
      it = all.find({trial_id, step});
    } else {
      for (auto j = all.lower_bound({trial_id, INT64_MIN}); j != all.end() && j->first.first == trial_id;
           ++j) {
        it = j;
      }
    }
    if (it == all.end()) {
      return NotFoundError("no checkpoint for trial " + std::to_string(trial_id) +
                           (step >= 0 ? " at step " + std::to_string(step) : std::string()));
    }
    return std::unique_ptr<CheckpointReader>(std::make_unique<MemoryCheckpointReader>(it->second));
  }

  StatusOr<std::vector<CheckpointInfo>> ListCheckpoints(uint64_t trial_id) override {
    std::vector<CheckpointInfo> out;
    std::lock_guard<std::mutex> lock(state_->mu);
    for (auto it = state_->checkpoints.lower_bound({trial_id, INT64_MIN});
         it != state_->checkpoints.end() && it->first.first == trial_id; ++it) {
      out.push_back(it->second.info);
    }
    return out;
  }

  Status DeleteCheckpoint(uint64_t trial_id, int64_t step) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->checkpoints.erase({trial_id, step});
    return Status::Ok();
  }

 private:
  const std::shared_ptr<MemoryState> state_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(size_t checkpoint_chunk_bytes) {
  return std::make_unique<MemoryStore>(checkpoint_chunk_bytes);
}

}  // namespace hpsweep::coordinator
