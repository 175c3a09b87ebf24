// The RocksDB handle shared by RocksStore and its checkpoint readers and
// writers, and the helpers they share (rocks_store.cc has the design:
// column families, durability, the checkpoint lifecycle). Internal to the
// store package.
#ifndef HPSWEEP_COORDINATOR_STORE_ROCKS_DB_H_
#define HPSWEEP_COORDINATOR_STORE_ROCKS_DB_H_

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "coordinator/store/codec.h"
#include "coordinator/store/store.h"

namespace hpsweep::coordinator::internal {

// The only place RocksDB statuses become hpsweep statuses. Codes follow what
// the caller should do: transient I/O is worth a retry, corruption is not.
Status FromRocks(const rocksdb::Status& s, std::string_view context);

// RocksDB reports a held directory lock as an IOError on "<dir>/LOCK", both
// for another process ("While lock file") and for this one ("lock hold by
// current process").
bool IsLockHeld(const rocksdb::Status& s);

inline constexpr char kEpochKey[] = "e";  // checkpoints CF: be64(open epoch)

// The open database, shared by the store and its checkpoint readers/writers.
struct RocksDb {
  ~RocksDb();

  rocksdb::ColumnFamilyHandle* cf(Table t) const { return handles[1 + static_cast<int>(t)]; }

  std::string dir;
  size_t chunk_bytes = 0;
  std::unique_ptr<rocksdb::DB> db;
  // [0] is "default" (unused), then one per Table in enum order.
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  RealClock clock;
  uint64_t epoch = 0;
  std::atomic<uint32_t> next_writer{0};
  // Serialise checkpoint Finish per (trial, step), striped: reading the
  // manifest it replaces and writing the new one must not interleave with
  // another Finish at the same step, or the loser's chunks would be orphaned.
  std::array<std::mutex, 16> finish_mu;
  std::mutex& FinishMutex(uint64_t trial_id, int64_t step) {
    return finish_mu[(trial_id * 1000003u + static_cast<uint64_t>(step)) % finish_mu.size()];
  }
};

rocksdb::WriteOptions SyncedWrite();

// Reads rows of one column family from `start` up to `end` (empty: no end).
// `visit` returns false to stop.
template <typename Visit>
Status ScanRows(const RocksDb& rdb, Table t, const std::string& start, const std::string& end,
                const rocksdb::Snapshot* snapshot, Visit visit) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  rocksdb::Slice upper(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(rdb.db->NewIterator(ro, rdb.cf(t)));
  for (it->Seek(start); it->Valid(); it->Next()) {
    HPS_ASSIGN_OR_RETURN(bool more, visit(std::string_view(it->key().data(), it->key().size()),
                                          std::string_view(it->value().data(), it->value().size())));
    if (!more) return Status::Ok();
  }
  return FromRocks(it->status(), "scanning " + std::string(TableName(t)));
}

// With `undecodable`, a record that does not decode is reported there
// instead of failing the scan.
template <typename T, typename Decode>
StatusOr<std::vector<T>> ScanRecords(const RocksDb& rdb, Table t, const std::string& start,
                                     const std::string& end, size_t limit, Decode decode,
                                     std::vector<UndecodableRecord>* undecodable = nullptr) {
  std::vector<T> out;
  HPS_RETURN_IF_ERROR(ScanRows(rdb, t, start, end, nullptr,
                               [&](std::string_view key, std::string_view value) -> StatusOr<bool> {
                                 T record;
                                 Status decoded = decode(key, value, &record);
                                 if (!decoded.ok() && undecodable == nullptr) return decoded;
                                 if (!decoded.ok()) {
                                   undecodable->push_back(
                                       Undecodable(t, key, std::move(decoded)));
                                   return true;
                                 }
                                 out.push_back(std::move(record));
                                 return limit == 0 || out.size() < limit;
                               }));
  return out;
}

// The manifest at (trial, step) as of `snapshot`; nullopt when none.
StatusOr<std::optional<Manifest>> GetManifest(const RocksDb& rdb, uint64_t trial_id,
                                                        int64_t step,
                                                        const rocksdb::Snapshot* snapshot);

// Deletes, in `batch`, the chunks of one checkpoint generation.
void DeleteChunks(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf, uint64_t trial_id,
                  int64_t step, uint64_t generation);

// A writer of checkpoint (trial, step) under `generation` (rocks_checkpoints.cc).
std::unique_ptr<CheckpointWriter> NewRocksCheckpointWriter(std::shared_ptr<RocksDb> rdb,
                                                           uint64_t trial_id, int64_t step,
                                                           uint64_t generation);
// A reader of `manifest`'s chunks as of `snapshot`, which it releases.
std::unique_ptr<CheckpointReader> NewRocksCheckpointReader(std::shared_ptr<RocksDb> rdb,
                                                           const rocksdb::Snapshot* snapshot,
                                                           Manifest manifest);

}  // namespace hpsweep::coordinator::internal

#endif  // HPSWEEP_COORDINATOR_STORE_ROCKS_DB_H_
