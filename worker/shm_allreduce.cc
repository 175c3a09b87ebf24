#include "worker/shm_allreduce.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <string>

namespace hpsweep::worker {

struct alignas(64) ShmAllreduce::Header {
  std::atomic<uint32_t> arrived;
  std::atomic<uint32_t> generation;  // futex word: bumped when all arrived
};

namespace {

static_assert(std::atomic<uint32_t>::is_always_lock_free, "futex word must be a plain uint32");

void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  // Shared (not FUTEX_PRIVATE) because the word lives in memory mapped by
  // several processes. A timeout bounds the cost of a lost wake-up.
  timespec timeout{0, 50 * 1000 * 1000};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, &timeout, nullptr, 0);
}

void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

constexpr int64_t kHeaderBytes = 64;

}  // namespace

StatusOr<std::unique_ptr<ShmAllreduce>> ShmAllreduce::Create(MPI_Comm comm, int64_t chunk_bytes) {
  if (chunk_bytes < 4096) return InvalidArgumentError("chunk_bytes must be >= 4096");
  chunk_bytes = (chunk_bytes + 63) / 64 * 64;
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node) != MPI_SUCCESS) {
    return UnimplementedError("MPI_Comm_split_type failed");
  }
  int node_size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_free(&node);
  // Same answer on every rank: either all share the node or some do not.
  int all_local = node_size == size ? 1 : 0, agreed = 0;
  MPI_Allreduce(&all_local, &agreed, 1, MPI_INT, MPI_MIN, comm);
  if (!agreed) return UnimplementedError("the gang spans several nodes");

  const MPI_Aint bytes = rank == 0 ? kHeaderBytes + (2 * size + 1) * chunk_bytes : 0;
  char* base = nullptr;
  MPI_Win win = MPI_WIN_NULL;
  int rc = MPI_Win_allocate_shared(bytes, 1, MPI_INFO_NULL, comm, &base, &win);
  int ok = rc == MPI_SUCCESS ? 1 : 0, all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
  if (!all_ok) {
    if (rc == MPI_SUCCESS) MPI_Win_free(&win);
    return UnimplementedError("MPI_Win_allocate_shared failed");
  }
  MPI_Aint got = 0;
  int disp = 0;
  MPI_Win_shared_query(win, 0, &got, &disp, &base);
  auto* header = reinterpret_cast<Header*>(base);
  if (rank == 0) {
    new (header) Header();
    header->arrived.store(0);
    header->generation.store(0);
  }
  MPI_Barrier(comm);  // header initialised before anyone uses it
  return std::unique_ptr<ShmAllreduce>(
      new ShmAllreduce(win, header, base + kHeaderBytes, rank, size, chunk_bytes));
}

ShmAllreduce::ShmAllreduce(MPI_Win win, Header* header, char* slots, int rank, int size,
                           int64_t chunk_bytes)
    : win_(win), header_(header), slots_(slots), rank_(rank), size_(size), chunk_bytes_(chunk_bytes) {}

ShmAllreduce::~ShmAllreduce() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Win_free(&win_);  // collective; all ranks destroy together
}

void ShmAllreduce::Barrier() {
  const uint32_t gen = header_->generation.load(std::memory_order_acquire);
  if (header_->arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<uint32_t>(size_)) {
    header_->arrived.store(0, std::memory_order_relaxed);
    header_->generation.fetch_add(1, std::memory_order_acq_rel);
    FutexWakeAll(&header_->generation);
    return;
  }
  // Spin briefly (the peer is usually close behind), then sleep in the kernel.
  for (int i = 0; i < 2000; ++i) {
    if (header_->generation.load(std::memory_order_acquire) != gen) return;
    CpuRelax();
  }
  while (header_->generation.load(std::memory_order_acquire) == gen) FutexWait(&header_->generation, gen);
}

template <typename T>
void ShmAllreduce::Chunk(T* data, int64_t n, bool max, T scale) {
  if (size_ <= kOneShotMaxRanks) {
    // One barrier: write my slot of this call's slot set, then every rank
    // reduces all slots itself, in rank order, so all get identical bits.
    // Slot sets alternate between calls: a rank can only start writing set s
    // again two calls later, after every rank passed the barrier between,
    // i.e. finished reading set s.
    char* set = slots_ + parity_ * size_ * chunk_bytes_;
    parity_ ^= 1;
    std::memcpy(set + rank_ * chunk_bytes_, data, static_cast<size_t>(n) * sizeof(T));
    Barrier();
    const T* s0 = reinterpret_cast<const T*>(set);
    if (size_ == 2 && !max) {
      const T* s1 = reinterpret_cast<const T*>(set + chunk_bytes_);
      for (int64_t i = 0; i < n; ++i) data[i] = (s0[i] + s1[i]) * scale;
      return;
    }
    std::memcpy(data, s0, static_cast<size_t>(n) * sizeof(T));
    for (int r = 1; r < size_; ++r) {
      const T* s = reinterpret_cast<const T*>(set + r * chunk_bytes_);
      if (max) {
        for (int64_t i = 0; i < n; ++i) data[i] = s[i] > data[i] ? s[i] : data[i];
      } else {
        for (int64_t i = 0; i < n; ++i) data[i] += s[i];
      }
    }
    if (!max && scale != T(1)) {
      for (int64_t i = 0; i < n; ++i) data[i] *= scale;
    }
    return;
  }
  // Two barriers, reduction split P ways: copy in; rank r reduces slice r of
  // all slots into the result area; copy the result back.
  T* mine = reinterpret_cast<T*>(slots_ + rank_ * chunk_bytes_);
  T* result = reinterpret_cast<T*>(slots_ + 2 * size_ * chunk_bytes_);
  std::memcpy(mine, data, static_cast<size_t>(n) * sizeof(T));
  Barrier();
  const int64_t lo = n * rank_ / size_, hi = n * (rank_ + 1) / size_;
  const T* s0 = reinterpret_cast<const T*>(slots_);
  for (int64_t i = lo; i < hi; ++i) result[i] = s0[i];
  for (int r = 1; r < size_; ++r) {
    const T* s = reinterpret_cast<const T*>(slots_ + r * chunk_bytes_);
    if (max) {
      for (int64_t i = lo; i < hi; ++i) result[i] = s[i] > result[i] ? s[i] : result[i];
    } else {
      for (int64_t i = lo; i < hi; ++i) result[i] += s[i];
    }
  }
  if (!max && scale != T(1)) {
    for (int64_t i = lo; i < hi; ++i) result[i] *= scale;
  }
  Barrier();
  std::memcpy(data, result, static_cast<size_t>(n) * sizeof(T));
}

Status ShmAllreduce::Run(torch::Tensor& tensor, bool max, double scale) {
  if (!tensor.device().is_cpu() || !tensor.is_contiguous()) {
    return InvalidArgumentError("shared-memory allreduce needs a contiguous CPU tensor");
  }
  const int64_t n = tensor.numel();
  if (tensor.scalar_type() == torch::kFloat) {
    float* d = tensor.data_ptr<float>();
    const int64_t per = chunk_bytes_ / static_cast<int64_t>(sizeof(float));
    for (int64_t off = 0; off < n; off += per) {
      Chunk<float>(d + off, std::min(per, n - off), max, static_cast<float>(scale));
    }
  } else if (tensor.scalar_type() == torch::kDouble) {
    double* d = tensor.data_ptr<double>();
    const int64_t per = chunk_bytes_ / static_cast<int64_t>(sizeof(double));
    for (int64_t off = 0; off < n; off += per) Chunk<double>(d + off, std::min(per, n - off), max, scale);
  } else {
    return InvalidArgumentError(std::string("shared-memory allreduce does not support ") +
                                c10::toString(tensor.scalar_type()));
  }
  return Status::Ok();
}

}  // namespace hpsweep::worker
