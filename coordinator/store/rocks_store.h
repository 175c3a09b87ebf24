// The Store on an embedded RocksDB (rocks_store.cc has the design). Only
// what opens a data directory links RocksDB: depend on :rocks_store.
#ifndef HPSWEEP_COORDINATOR_STORE_ROCKS_STORE_H_
#define HPSWEEP_COORDINATOR_STORE_ROCKS_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "coordinator/store/store.h"

namespace hpsweep::coordinator {

struct RocksStoreOptions {
  // Checkpoint bytes are stored in chunks of this size. Default: 4 MiB.
  size_t checkpoint_chunk_bytes = 4 << 20;
  // Values at least this large go to blob files (checkpoints). Default: 64 KiB.
  uint64_t min_blob_size = 64 << 10;
  // Block cache for reads. Default: 64 MiB.
  size_t block_cache_bytes = 64 << 20;
  Status Validate() const;
};

// The store's folder inside a coordinator's data directory: `data_dir`/db.
std::string StoreDirIn(const std::string& data_dir);

// Opens (creating if needed) a RocksDB store in `dir`. ABORTED naming the
// folder when another process holds it open ("locked by another
// coordinator"); FAILED_PRECONDITION when its schema version is not this
// build's.
StatusOr<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir,
                                                const RocksStoreOptions& options = {});

// Opens an existing RocksDB store in `dir` for reading only, without taking
// its lock or writing anything: for when the read-write open fails because
// the disk is full or failing. Commit, BeginCheckpoint and Resume answer
// UNAVAILABLE naming `why`.
StatusOr<std::unique_ptr<Store>> OpenRocksStoreReadOnly(const std::string& dir,
                                                        const RocksStoreOptions& options,
                                                        const std::string& why);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_STORE_ROCKS_STORE_H_
