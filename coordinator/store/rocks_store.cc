// RocksStore: the Store on an embedded RocksDB, one column family per table
// (codec.h has the key layout).
//
// Durability: Commit is one WriteBatch across column families written with
// WriteOptions::sync, so it is atomic and its WAL record is fsynced before
// OK; RocksDB's write thread makes concurrent synced writers a group that
// shares one WAL write and one fsync. Checkpoint chunks are written unsynced:
// they sit in the WAL before the manifest, so the manifest's synced write
// persists them too, and until then they are unreachable.
//
// Checkpoint lifecycle (per writer, generation g):
//
//   BeginCheckpoint ──▶ pending marker 'p'+g written
//        │
//        ▼ Append (a chunk 'c'+trial+step+g+index each time the buffer fills)
//        │
//        ├── Finish ──▶ one synced batch: manifest 'm'+trial+step -> g,
//        │              delete marker, delete the replaced generation's chunks
//        ├── destroyed ──▶ delete own chunks and marker
//        └── crash ──▶ next open finds the marker, deletes its chunks
//
// Generations are (open epoch << 32 | counter): the epoch is persisted and
// bumped, synced, at every open, so a generation is never reused.
//
// Thread safety: every Store method is thread-safe. Writers and readers are
// used by one thread each; they share ownership of the open database, so the
// directory stays locked until the last of them is destroyed.
#include "coordinator/store/rocks_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/store/codec.h"
#include "coordinator/store/rocks_db.h"

namespace hpsweep::coordinator {
namespace {

using internal::DeleteChunks;
using internal::FromRocks;
using internal::GetManifest;
using internal::IsLockHeld;
using internal::kEpochKey;
using internal::RocksDb;
using internal::ScanRecords;
using internal::ScanRows;
using internal::SyncedWrite;
using internal::Table;

class RocksStore final : public Store {
 public:
  // `read_only`: why the store was opened read-only; empty for read-write.
  explicit RocksStore(std::shared_ptr<RocksDb> rdb, std::string read_only = {})
      : rdb_(std::move(rdb)), read_only_(std::move(read_only)) {}

  Status Commit(const WriteSet& writes) override {
    HPS_RETURN_IF_ERROR(CheckWritable());
    HPS_ASSIGN_OR_RETURN(std::vector<internal::EncodedPut> puts, internal::EncodeWriteSet(writes));
    if (puts.empty()) return Status::Ok();
    rocksdb::WriteBatch batch;
    for (const internal::EncodedPut& put : puts) {
      batch.Put(rdb_->cf(put.table), put.key, put.value).PermitUncheckedError();
    }
    return FromRocks(rdb_->db->Write(SyncedWrite(), &batch), "commit");
  }

  StatusOr<std::vector<proto::Sweep>> LoadSweeps(
      std::vector<UndecodableRecord>* undecodable) override {
    return ScanRecords<proto::Sweep>(*rdb_, Table::kSweeps, "", "", 0, internal::DecodeSweep,
                                     undecodable);
  }

  StatusOr<std::vector<proto::Trial>> LoadTrials(
      uint64_t sweep_id, uint64_t after_trial_id, size_t limit,
      std::vector<UndecodableRecord>* undecodable) override {
    if (after_trial_id == UINT64_MAX) return std::vector<proto::Trial>{};
    return ScanRecords<proto::Trial>(*rdb_, Table::kTrials,
                                     internal::TrialKey(sweep_id, after_trial_id + 1),
                                     internal::PrefixSuccessor(internal::TrialPrefix(sweep_id)),
                                     limit, internal::DecodeTrial, undecodable);
  }

  StatusOr<std::vector<proto::MetricPoint>> ReadMetrics(uint64_t trial_id, int64_t from_step,
                                                        size_t limit) override {
    return ScanRecords<proto::MetricPoint>(
        *rdb_, Table::kMetrics, internal::MetricKey(trial_id, from_step),
        internal::PrefixSuccessor(internal::MetricPrefix(trial_id)), limit, internal::DecodeMetric);
  }

  StatusOr<std::vector<proto::Event>> ReadEvents(uint64_t after_seq, size_t limit) override {
    if (after_seq == UINT64_MAX) return std::vector<proto::Event>{};
    return ScanRecords<proto::Event>(*rdb_, Table::kEvents, internal::EventKey(after_seq + 1), "",
                                     limit, internal::DecodeEvent);
  }

  StatusOr<std::optional<std::string>> GetMeta(const std::string& key) override {
    std::string value;
    rocksdb::Status s = rdb_->db->Get(rocksdb::ReadOptions(), rdb_->cf(Table::kMeta), key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    HPS_RETURN_IF_ERROR(FromRocks(s, "reading meta"));
    return std::optional<std::string>(std::move(value));
  }

  StatusOr<std::unique_ptr<CheckpointWriter>> BeginCheckpoint(uint64_t trial_id,
                                                              int64_t step) override {
    HPS_RETURN_IF_ERROR(CheckWritable());
    HPS_RETURN_IF_ERROR(internal::ValidateCheckpointStep(step));
    uint32_t counter = rdb_->next_writer.fetch_add(1);
    if (counter == UINT32_MAX) {
      return ResourceExhaustedError("checkpoint writers exhausted for this open; reopen the store");
    }
    uint64_t generation = (rdb_->epoch << 32) | counter;
    // The marker lets the next open find chunks left by a crash. Unsynced: it
    // precedes the chunks in the WAL, so no chunk survives without it.
    internal::Pending pending{trial_id, step, generation};
    HPS_RETURN_IF_ERROR(FromRocks(
        rdb_->db->Put(rocksdb::WriteOptions(), rdb_->cf(Table::kCheckpoints),
                      internal::PendingKey(generation), internal::EncodePending(pending)),
        "beginning checkpoint"));
    return std::unique_ptr<CheckpointWriter>(
        internal::NewRocksCheckpointWriter(rdb_, trial_id, step, generation));
  }

  StatusOr<std::unique_ptr<CheckpointReader>> OpenCheckpoint(uint64_t trial_id,
                                                             int64_t step) override {
    const rocksdb::Snapshot* snapshot = rdb_->db->GetSnapshot();
    StatusOr<std::optional<internal::Manifest>> manifest =
        step >= 0 ? GetManifest(*rdb_, trial_id, step, snapshot) : LatestManifest(trial_id, snapshot);
    if (!manifest.ok() || !manifest->has_value()) {
      rdb_->db->ReleaseSnapshot(snapshot);
      if (!manifest.ok()) return manifest.status();
      return NotFoundError("no checkpoint for trial " + std::to_string(trial_id) +
                           (step >= 0 ? " at step " + std::to_string(step) : std::string()));
    }
    return std::unique_ptr<CheckpointReader>(
        internal::NewRocksCheckpointReader(rdb_, snapshot, **manifest));
  }

  StatusOr<std::vector<CheckpointInfo>> ListCheckpoints(uint64_t trial_id) override {
    std::vector<CheckpointInfo> out;
    std::string prefix = internal::ManifestPrefix(trial_id);
    HPS_RETURN_IF_ERROR(ScanRows(*rdb_, Table::kCheckpoints, prefix, internal::PrefixSuccessor(prefix),
                                 nullptr,
                                 [&](std::string_view key, std::string_view value) -> StatusOr<bool> {
                                   internal::Manifest manifest;
                                   HPS_RETURN_IF_ERROR(internal::DecodeManifest(key, value, &manifest));
                                   out.push_back(manifest.info);
                                   return true;
                                 }));
    return out;
  }

  Status DeleteCheckpoint(uint64_t trial_id, int64_t step) override {
    HPS_RETURN_IF_ERROR(CheckWritable());
    rocksdb::ColumnFamilyHandle* cf = rdb_->cf(Table::kCheckpoints);
    std::lock_guard<std::mutex> lock(rdb_->FinishMutex(trial_id, step));
    HPS_ASSIGN_OR_RETURN(std::optional<internal::Manifest> manifest,
                         GetManifest(*rdb_, trial_id, step, nullptr));
    if (!manifest) return Status::Ok();
    rocksdb::WriteBatch batch;
    batch.Delete(cf, internal::ManifestKey(trial_id, step)).PermitUncheckedError();
    DeleteChunks(&batch, cf, trial_id, step, manifest->generation);
    return FromRocks(rdb_->db->Write(SyncedWrite(), &batch), "deleting a checkpoint");
  }

  Status Resume() override {
    HPS_RETURN_IF_ERROR(CheckWritable());
    // OK at once when there is no background error to recover from.
    const rocksdb::Status resumed = rdb_->db->Resume();
    if (resumed.IsBusy()) {
      // After a full disk RocksDB recovers by itself, once a memtable's worth
      // of space is free; until then it refuses to be resumed.
      return UnavailableError(rdb_->dir + ": waiting for free space (RocksDB resumes once "
                              "at least a memtable's worth, 64 MiB by default, is free)");
    }
    HPS_RETURN_IF_ERROR(FromRocks(resumed, "resuming writes to " + rdb_->dir));
    std::string now;
    internal::PutBe64(&now, static_cast<uint64_t>(rdb_->clock.NowMicros()));
    return FromRocks(rdb_->db->Put(SyncedWrite(), rdb_->cf(Table::kMeta), kProbeKey, now),
                     "test write to " + rdb_->dir);
  }

 private:
  // A meta row rewritten by Resume to prove that synced writes work.
  static constexpr char kProbeKey[] = "storage_probe";

  Status CheckWritable() const {
    if (read_only_.empty()) return Status::Ok();
    return UnavailableError(rdb_->dir + " is open read-only (" + read_only_ +
                            "); restart the coordinator once writes can succeed");
  }

  StatusOr<std::optional<internal::Manifest>> LatestManifest(uint64_t trial_id,
                                                             const rocksdb::Snapshot* snapshot) {
    std::string lower = internal::ManifestPrefix(trial_id);
    std::string upper = internal::PrefixSuccessor(lower);
    rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    ro.iterate_lower_bound = &lower_slice;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(rdb_->db->NewIterator(ro, rdb_->cf(Table::kCheckpoints)));
    it->SeekToLast();
    if (!it->Valid()) {
      HPS_RETURN_IF_ERROR(FromRocks(it->status(), "finding the latest checkpoint"));
      return std::optional<internal::Manifest>();
    }
    internal::Manifest manifest;
    HPS_RETURN_IF_ERROR(internal::DecodeManifest(
        std::string_view(it->key().data(), it->key().size()),
        std::string_view(it->value().data(), it->value().size()), &manifest));
    return std::optional<internal::Manifest>(manifest);
  }

  const std::shared_ptr<RocksDb> rdb_;
  const std::string read_only_;
};

rocksdb::ColumnFamilyOptions TableOptions(Table t, const RocksStoreOptions& options,
                                          const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;  // one cache for every table
  // Bloom filters help Get (meta, checkpoint manifests); the other tables are
  // only ever scanned with iterate_upper_bound, where whole-key filters are
  // never consulted.
  if (t == Table::kMeta || t == Table::kCheckpoints) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (t == Table::kCheckpoints) {
    cf.enable_blob_files = true;
    cf.min_blob_size = options.min_blob_size;
    // Replaced and discarded checkpoints leave dead blobs; reclaim them.
    cf.enable_blob_garbage_collection = true;
  }
  return cf;
}

// RocksDB's own log lines, warnings and worse, go to ours (stderr, rate
// limited) instead of a LOG file in the data directory. On a full disk that
// file's writer fails, and Debian's RocksDB, built with assertions, aborts the
// process at its next log line (WritableFileWriter: "Assertion
// `sync_without_flush_called_' failed"), which is how a full disk used to
// take the coordinator down.
class RocksLogger final : public rocksdb::Logger {
 public:
  RocksLogger()
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), limiter_(std::chrono::minutes(1), 5) {}

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      HPS_LOG_LIMITED(ERROR, limiter_) << "rocksdb: " << line;
    } else {
      HPS_LOG_LIMITED(WARNING, limiter_) << "rocksdb: " << line;
    }
  }

 private:
  LogRateLimiter limiter_;
};

rocksdb::DBOptions DbOptions() {
  rocksdb::DBOptions db;
  db.info_log = std::make_shared<RocksLogger>();
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  db.max_background_jobs = 2;
  // Every acknowledged write was fsynced in the WAL before Commit/Finish
  // returned, so after kill -9 or power loss any damage is confined to the
  // tail written after the last acknowledged record. kPointInTimeRecovery
  // replays up to the first bad record and opens: nothing acknowledged is
  // lost, and a write that was never acknowledged may be. kAbsoluteConsistency
  // would refuse to open on exactly that torn tail, turning a routine crash
  // into manual repair; kSkipAnyCorruptedRecords could replay records after a
  // hole and break the order of batches.
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db.keep_log_file_num = 10;
  return db;
}

// Checks or writes the schema version, removes chunks of checkpoints that
// were never finished, and starts a new checkpoint epoch.
Status Initialize(RocksDb* rdb) {
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* meta = rdb->cf(Table::kMeta);
  rocksdb::ColumnFamilyHandle* checkpoints = rdb->cf(Table::kCheckpoints);

  std::string version;
  rocksdb::Status s = rdb->db->Get(rocksdb::ReadOptions(), meta, internal::kSchemaVersionKey, &version);
  if (s.IsNotFound()) {
    batch.Put(meta, internal::kSchemaVersionKey, kSchemaVersion).PermitUncheckedError();
  } else {
    HPS_RETURN_IF_ERROR(FromRocks(s, "reading the schema version of " + rdb->dir));
    if (version != kSchemaVersion) {
      return FailedPreconditionError("data directory " + rdb->dir + " has schema version \"" +
                                     version + "\"; this build reads version \"" +
                                     std::string(kSchemaVersion) + "\"");
    }
  }

  std::string epoch_value;
  s = rdb->db->Get(rocksdb::ReadOptions(), checkpoints, kEpochKey, &epoch_value);
  if (!s.IsNotFound()) {
    HPS_RETURN_IF_ERROR(FromRocks(s, "reading the checkpoint epoch"));
    if (epoch_value.size() != 8) {
      return DataLossError(internal::DescribeKey(Table::kCheckpoints, kEpochKey) +
                           ": checkpoint epoch is not 8 bytes");
    }
    rdb->epoch = internal::GetBe64(epoch_value);
  }
  ++rdb->epoch;
  if (rdb->epoch >= (uint64_t{1} << 32)) return InternalError("checkpoint epoch overflow");
  epoch_value.clear();
  internal::PutBe64(&epoch_value, rdb->epoch);
  batch.Put(checkpoints, kEpochKey, epoch_value).PermitUncheckedError();

  int orphans = 0;
  std::string prefix(1, internal::kPendingTag);
  HPS_RETURN_IF_ERROR(ScanRows(
      *rdb, Table::kCheckpoints, prefix, internal::PrefixSuccessor(prefix), nullptr,
      [&](std::string_view key, std::string_view value) -> StatusOr<bool> {
        internal::Pending pending;
        HPS_RETURN_IF_ERROR(internal::DecodePending(key, value, &pending));
        DeleteChunks(&batch, checkpoints, pending.trial_id, pending.step, pending.generation);
        batch.Delete(checkpoints, rocksdb::Slice(key.data(), key.size())).PermitUncheckedError();
        ++orphans;
        return true;
      }));
  if (orphans > 0) {
    HPS_LOG(INFO) << "removing " << orphans << " unfinished checkpoint(s) from " << rdb->dir;
  }
  return FromRocks(rdb->db->Write(SyncedWrite(), &batch), "initialising " + rdb->dir);
}

std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors(const RocksStoreOptions& options) {
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < internal::kNumTables; ++i) {
    Table t = static_cast<Table>(i);
    descriptors.emplace_back(std::string(internal::TableName(t)), TableOptions(t, options, cache));
  }
  return descriptors;
}

}  // namespace

Status RocksStoreOptions::Validate() const {
  if (checkpoint_chunk_bytes == 0) {
    return InvalidArgumentError("checkpoint_chunk_bytes must be > 0", "/checkpoint_chunk_bytes");
  }
  // RocksDB keeps a value whole in the memtable and WAL; far beyond this a
  // chunk costs more memory than streaming saves.
  if (checkpoint_chunk_bytes > (256u << 20)) {
    return InvalidArgumentError("checkpoint_chunk_bytes must be at most 256 MiB, found " +
                                    std::to_string(checkpoint_chunk_bytes),
                                "/checkpoint_chunk_bytes");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<Store>> OpenRocksStoreReadOnly(const std::string& dir,
                                                        const RocksStoreOptions& options,
                                                        const std::string& why) {
  HPS_RETURN_IF_ERROR(options.Validate());
  auto rdb = std::make_shared<RocksDb>();
  rdb->dir = dir;
  rdb->chunk_bytes = options.checkpoint_chunk_bytes;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::OpenForReadOnly(DbOptions(), dir, Descriptors(options), &rdb->handles, &raw);
  HPS_RETURN_IF_ERROR(FromRocks(s, "opening data directory " + dir + " read-only"));
  rdb->db.reset(raw);
  std::string version;
  s = rdb->db->Get(rocksdb::ReadOptions(), rdb->cf(Table::kMeta), internal::kSchemaVersionKey,
                   &version);
  HPS_RETURN_IF_ERROR(FromRocks(s, "reading the schema version of " + dir));
  if (version != kSchemaVersion) {
    return FailedPreconditionError("data directory " + dir + " has schema version \"" + version +
                                   "\"; this build reads version \"" +
                                   std::string(kSchemaVersion) + "\"");
  }
  return std::unique_ptr<Store>(std::make_unique<RocksStore>(std::move(rdb), why));
}

std::string StoreDirIn(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "db").string();
}

StatusOr<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir,
                                                const RocksStoreOptions& options) {
  HPS_RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::string message = "cannot create data directory " + dir + ": " + ec.message();
    if (ec == std::errc::permission_denied) return PermissionDeniedError(std::move(message));
    return UnavailableError(std::move(message));
  }

  const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = Descriptors(options);
  auto rdb = std::make_shared<RocksDb>();
  rdb->dir = dir;
  rdb->chunk_bytes = options.checkpoint_chunk_bytes;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(DbOptions(), dir, descriptors, &rdb->handles, &raw);
  if (!s.ok()) {
    if (IsLockHeld(s)) {
      // ABORTED, a code of its own here: callers tell a held lock (another
      // process owns the folder) from every other failure by code.
      return AbortedError("data directory " + dir + " is locked by another coordinator (" +
                          s.ToString() + ")");
    }
    return FromRocks(s, "opening data directory " + dir);
  }
  rdb->db.reset(raw);
  HPS_RETURN_IF_ERROR(Initialize(rdb.get()));
  return std::unique_ptr<Store>(std::make_unique<RocksStore>(std::move(rdb)));
}

}  // namespace hpsweep::coordinator
