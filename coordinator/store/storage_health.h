// StorageHealth: whether the coordinator's store accepts writes. The
// coordinator changes it; the API reads it to refuse mutating requests (503
// "storage unavailable: <reason>") while serving reads, and /healthz and
// /metrics show it.
//
//            commit failed, or the store
//            could only be opened read-only
//   writable ───────────────────────────────▶ degraded (reason)
//      ▲                                          │
//      └──────────────────────────────────────────┘
//        a probe write succeeded and the in-memory
//        state was rebuilt from the store
//
// Thread safety: thread-safe.
#ifndef HPSWEEP_COORDINATOR_STORE_STORAGE_HEALTH_H_
#define HPSWEEP_COORDINATOR_STORE_STORAGE_HEALTH_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "common/status.h"

namespace hpsweep::coordinator {

class StorageHealth {
 public:
  bool writable() const { return writable_.load(); }
  // Why writes are refused; empty while writable.
  std::string reason() const;
  // UNAVAILABLE "storage unavailable: <reason>": the answer to a mutating
  // request while degraded.
  Status Unavailable() const;
  // Enters degraded mode because of `cause`. Returns true when this call left
  // the writable state (the caller starts recovery); false when already
  // degraded (the first reason is kept).
  bool Degrade(const Status& cause);
  // Leaves degraded mode.
  void Recovered();

  // Times degraded mode was entered / left.
  int64_t failures() const { return failures_.load(); }
  int64_t recoveries() const { return recoveries_.load(); }

 private:
  std::atomic<bool> writable_{true};
  std::atomic<int64_t> failures_{0};
  std::atomic<int64_t> recoveries_{0};
  mutable std::mutex mu_;
  std::string reason_;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_STORE_STORAGE_HEALTH_H_
