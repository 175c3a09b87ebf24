// The Store in memory: tests, embedded dry runs.
#ifndef HPSWEEP_COORDINATOR_STORE_MEMORY_STORE_H_
#define HPSWEEP_COORDINATOR_STORE_MEMORY_STORE_H_

#include <cstddef>
#include <memory>

#include "coordinator/store/store.h"

namespace hpsweep::coordinator {

// A Store in memory; Commit is atomic but nothing survives the process.
std::unique_ptr<Store> NewMemoryStore(size_t checkpoint_chunk_bytes = 4 << 20);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_STORE_MEMORY_STORE_H_
