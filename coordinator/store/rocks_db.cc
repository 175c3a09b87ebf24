// Helpers shared by the RocksDB store's files (rocks_db.h).
#include "coordinator/store/rocks_db.h"

#include <utility>

#include "common/logging.h"

namespace hpsweep::coordinator::internal {

// The only place RocksDB statuses become hpsweep statuses. Codes follow what
// the caller should do: transient I/O is worth a retry, corruption is not.
Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string message = std::string(context) + ": " + s.ToString();
  switch (s.code()) {
    case rocksdb::Status::kNotFound: return NotFoundError(std::move(message));
    case rocksdb::Status::kCorruption: return DataLossError(std::move(message));
    case rocksdb::Status::kNotSupported: return UnimplementedError(std::move(message));
    case rocksdb::Status::kInvalidArgument: return InvalidArgumentError(std::move(message));
    // A full disk is transient like any I/O error: retry once space is freed.
    case rocksdb::Status::kIOError: return UnavailableError(std::move(message));
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kIncomplete:
    case rocksdb::Status::kShutdownInProgress: return UnavailableError(std::move(message));
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kExpired: return DeadlineExceededError(std::move(message));
    case rocksdb::Status::kAborted: return AbortedError(std::move(message));
    default: return InternalError(std::move(message));
  }
}

// RocksDB reports a held directory lock as an IOError on "<dir>/LOCK", both
// for another process ("While lock file") and for this one ("lock hold by
// current process").
bool IsLockHeld(const rocksdb::Status& s) {
  return s.IsIOError() && s.ToString().find("/LOCK") != std::string::npos;
}

RocksDb::~RocksDb() {
  if (db == nullptr) return;  // the open failed
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    FromRocks(db->DestroyColumnFamilyHandle(handle), "closing " + dir).IgnoreError();
  }
  Status closed = FromRocks(db->Close(), "closing " + dir);
  if (!closed.ok()) HPS_LOG(WARNING) << closed;
}

rocksdb::WriteOptions SyncedWrite() {
  rocksdb::WriteOptions w;
  w.sync = true;
  return w;
}

// The manifest at (trial, step) as of `snapshot`; nullopt when none.
StatusOr<std::optional<Manifest>> GetManifest(const RocksDb& rdb, uint64_t trial_id,
                                                        int64_t step,
                                                        const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string key = ManifestKey(trial_id, step);
  std::string value;
  rocksdb::Status s = rdb.db->Get(ro, rdb.cf(Table::kCheckpoints), key, &value);
  if (s.IsNotFound()) return std::optional<Manifest>();
  HPS_RETURN_IF_ERROR(FromRocks(s, "reading checkpoint manifest"));
  Manifest manifest;
  HPS_RETURN_IF_ERROR(DecodeManifest(key, value, &manifest));
  return std::optional<Manifest>(manifest);
}

void DeleteChunks(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf, uint64_t trial_id,
                  int64_t step, uint64_t generation) {
  std::string begin = ChunkPrefix(trial_id, step, generation);
  std::string end = PrefixSuccessor(begin);
  // A WriteBatch only fails to take a record beyond its max_bytes (unset).
  batch->DeleteRange(cf, begin, end).PermitUncheckedError();
}

}  // namespace hpsweep::coordinator::internal
