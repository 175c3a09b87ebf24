// Checkpoint writers and readers of the RocksDB store: chunks under a
// pending marker, made visible by one synced manifest write (the lifecycle is
// drawn in rocks_store.cc).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <mutex>
#include <utility>

#include "common/logging.h"
#include "coordinator/store/rocks_db.h"

namespace hpsweep::coordinator::internal {
namespace {

class RocksCheckpointWriter final : public CheckpointWriter {
 public:
  RocksCheckpointWriter(std::shared_ptr<RocksDb> rdb, uint64_t trial_id, int64_t step,
                        uint64_t generation)
      : rdb_(std::move(rdb)), trial_id_(trial_id), step_(step), generation_(generation) {}

  ~RocksCheckpointWriter() override {
    if (state_ == State::kFinished) return;
    // Unsynced: if this is lost in a crash, the pending marker survives with
    // the chunks and the next open removes both.
    rocksdb::WriteBatch batch;
    DeleteChunks(&batch, rdb_->cf(Table::kCheckpoints), trial_id_, step_, generation_);
    batch.Delete(rdb_->cf(Table::kCheckpoints), PendingKey(generation_))
        .PermitUncheckedError();
    Status s = FromRocks(rdb_->db->Write(rocksdb::WriteOptions(), &batch),
                         "discarding unfinished checkpoint");
    if (!s.ok()) HPS_LOG(WARNING) << s << " (removed at next open)";
  }

  Status Append(std::string_view bytes) override {
    HPS_RETURN_IF_ERROR(CheckOpen());
    size_bytes_ += bytes.size();
    while (!bytes.empty()) {
      size_t take = std::min(bytes.size(), rdb_->chunk_bytes - buffer_.size());
      buffer_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (buffer_.size() >= rdb_->chunk_bytes) HPS_RETURN_IF_ERROR(WriteChunk());
    }
    return Status::Ok();
  }

  StatusOr<CheckpointInfo> Finish() override {
    HPS_RETURN_IF_ERROR(CheckOpen());
    if (!buffer_.empty()) HPS_RETURN_IF_ERROR(WriteChunk());
    Manifest manifest;
    manifest.info = {trial_id_, step_, size_bytes_, rdb_->clock.NowMicros()};
    manifest.generation = generation_;
    manifest.chunks = next_index_;

    rocksdb::ColumnFamilyHandle* cf = rdb_->cf(Table::kCheckpoints);
    std::lock_guard<std::mutex> lock(rdb_->FinishMutex(trial_id_, step_));
    StatusOr<std::optional<Manifest>> replaced = GetManifest(*rdb_, trial_id_, step_, nullptr);
    if (!replaced.ok()) return Fail(replaced.status());
    rocksdb::WriteBatch batch;
    batch.Put(cf, ManifestKey(trial_id_, step_), EncodeManifest(manifest))
        .PermitUncheckedError();
    batch.Delete(cf, PendingKey(generation_)).PermitUncheckedError();
    if (replaced->has_value()) DeleteChunks(&batch, cf, trial_id_, step_, (*replaced)->generation);
    Status s = FromRocks(rdb_->db->Write(SyncedWrite(), &batch), "finishing checkpoint");
    if (!s.ok()) return Fail(s);
    state_ = State::kFinished;
    return manifest.info;
  }

 private:
  enum class State { kOpen, kFinished, kFailed };

  Status CheckOpen() const {
    if (state_ == State::kFinished) return FailedPreconditionError("checkpoint writer already finished");
    if (state_ == State::kFailed) return error_;
    return Status::Ok();
  }

  Status Fail(Status s) {
    state_ = State::kFailed;
    error_ = s;
    return s;
  }

  Status WriteChunk() {
    Status s = FromRocks(
        rdb_->db->Put(rocksdb::WriteOptions(), rdb_->cf(Table::kCheckpoints),
                      ChunkKey(trial_id_, step_, generation_, next_index_), buffer_),
        "writing checkpoint chunk");
    if (!s.ok()) return Fail(s);
    ++next_index_;
    buffer_.clear();
    return Status::Ok();
  }

  const std::shared_ptr<RocksDb> rdb_;
  const uint64_t trial_id_;
  const int64_t step_;
  const uint64_t generation_;
  std::string buffer_;  // at most one chunk
  uint32_t next_index_ = 0;
  uint64_t size_bytes_ = 0;
  State state_ = State::kOpen;
  Status error_;
};

// Reads one checkpoint's chunks from a snapshot, so a replacement finished
// meanwhile neither changes nor breaks what this reader returns.
class RocksCheckpointReader final : public CheckpointReader {
 public:
  RocksCheckpointReader(std::shared_ptr<RocksDb> rdb, const rocksdb::Snapshot* snapshot,
                        Manifest manifest)
      : rdb_(std::move(rdb)),
        snapshot_(snapshot),
        manifest_(manifest),
        prefix_(ChunkPrefix(manifest.info.trial_id, manifest.info.step, manifest.generation)),
        upper_(PrefixSuccessor(prefix_)),
        upper_slice_(upper_) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    ro.iterate_upper_bound = &upper_slice_;
    ro.fill_cache = false;  // checkpoints are read once; keep the cache for records
    it_.reset(rdb_->db->NewIterator(ro, rdb_->cf(Table::kCheckpoints)));
    it_->Seek(prefix_);
  }

  ~RocksCheckpointReader() override {
    it_.reset();
    rdb_->db->ReleaseSnapshot(snapshot_);
  }

  const CheckpointInfo& info() const override { return manifest_.info; }

  StatusOr<bool> Next(std::string* chunk) override {
    if (!it_->Valid()) {
      HPS_RETURN_IF_ERROR(FromRocks(it_->status(), "reading checkpoint chunks"));
      if (next_index_ != manifest_.chunks || bytes_read_ != manifest_.info.size_bytes) {
        return Lost("ends after " + std::to_string(next_index_) + " chunks and " +
                    std::to_string(bytes_read_) + " bytes");
      }
      return false;
    }
    std::string_view key(it_->key().data(), it_->key().size());
    if (key.size() != prefix_.size() + 4 || GetBe32(key.substr(prefix_.size())) != next_index_) {
      return Lost("chunk " + std::to_string(next_index_) + " is missing");
    }
    chunk->assign(it_->value().data(), it_->value().size());
    bytes_read_ += chunk->size();
    ++next_index_;
    it_->Next();
    return true;
  }

 private:
  Status Lost(const std::string& what) const {
    return DataLossError("checkpoint of trial " + std::to_string(manifest_.info.trial_id) +
                         " step " + std::to_string(manifest_.info.step) + " (manifest: " +
                         std::to_string(manifest_.chunks) + " chunks, " +
                         std::to_string(manifest_.info.size_bytes) + " bytes) " + what);
  }

  const std::shared_ptr<RocksDb> rdb_;
  const rocksdb::Snapshot* const snapshot_;
  const Manifest manifest_;
  const std::string prefix_;
  const std::string upper_;
  const rocksdb::Slice upper_slice_;  // refers to upper_; must outlive it_
  std::unique_ptr<rocksdb::Iterator> it_;
  uint32_t next_index_ = 0;
  uint64_t bytes_read_ = 0;
};
}  // namespace

std::unique_ptr<CheckpointWriter> NewRocksCheckpointWriter(std::shared_ptr<RocksDb> rdb,
                                                           uint64_t trial_id, int64_t step,
                                                           uint64_t generation) {
  return std::make_unique<RocksCheckpointWriter>(std::move(rdb), trial_id, step, generation);
}

std::unique_ptr<CheckpointReader> NewRocksCheckpointReader(std::shared_ptr<RocksDb> rdb,
                                                           const rocksdb::Snapshot* snapshot,
                                                           Manifest manifest) {
  return std::make_unique<RocksCheckpointReader>(std::move(rdb), snapshot, manifest);
}

}  // namespace hpsweep::coordinator::internal
