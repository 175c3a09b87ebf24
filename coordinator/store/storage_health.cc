#include "coordinator/store/storage_health.h"

namespace hpsweep::coordinator {

std::string StorageHealth::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

Status StorageHealth::Unavailable() const {
  return UnavailableError("storage unavailable: " + reason() +
                          "; reads are served, writes are refused until storage works again");
}

bool StorageHealth::Degrade(const Status& cause) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!writable_.load()) return false;
  reason_ = cause.message().empty() ? cause.ToString() : cause.message();
  writable_.store(false);
  ++failures_;
  return true;
}

void StorageHealth::Recovered() {
  std::lock_guard<std::mutex> lock(mu_);
  if (writable_.load()) return;
  reason_.clear();
  writable_.store(true);
  ++recoveries_;
}

}  // namespace hpsweep::coordinator
