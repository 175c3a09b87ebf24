// Keeps freed memory in the process for reuse instead of returning it to the
// kernel at once.
//
// LibTorch allocates a fresh buffer for nearly every tensor op's result. With
// glibc's defaults, buffers above the (dynamic) mmap threshold are mapped and
// unmapped per op, and the heap top is trimmed eagerly, so every op pays
// page faults on memory it just gave back. On virtual machines a fault costs
// tens of microseconds: a Matern kernel of 1,152 x 100 points took 22 ms
// instead of 1.3 ms (measured in this repository). Programs that run tensor
// code (the coordinator's model fits, the worker's training) call this once,
// first thing in main.
//
// The cost is resident memory: up to the peak of what was in use stays
// mapped (plus `top_pad`), which is what any caching allocator does.
#ifndef HPSWEEP_COMMON_ALLOCATOR_H_
#define HPSWEEP_COMMON_ALLOCATOR_H_

#include <cstddef>

#include "common/status.h"

namespace hpsweep {

struct AllocatorTuning {
  // Blocks at least this large are mapped on their own (and unmapped when
  // freed). glibc caps it at 32 MiB on 64-bit. Default: 32 MiB.
  size_t mmap_threshold = size_t{32} << 20;
  // Free memory at the top of a heap beyond this is returned to the kernel.
  // Default: 256 MiB.
  size_t trim_threshold = size_t{256} << 20;
  // Extra memory obtained whenever a heap grows. Default: 16 MiB.
  size_t top_pad = size_t{16} << 20;
};

// Applies `tuning` to glibc malloc for the whole process. INTERNAL if glibc
// refuses a setting (then the defaults stay; the program still works).
Status TuneAllocatorForTensors(const AllocatorTuning& tuning = AllocatorTuning());

}  // namespace hpsweep

#endif  // HPSWEEP_COMMON_ALLOCATOR_H_
