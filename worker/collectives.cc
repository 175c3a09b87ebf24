#include "worker/collectives.h"

#include <string>
#include <utility>

namespace hpsweep::worker {
namespace {

// "" for OK, else "<code>\n<field>\n<message>".
std::string EncodeStatus(const Status& s) {
  if (s.ok()) return {};
  return std::to_string(static_cast<int>(s.code())) + "\n" + s.field() + "\n" + s.message();
}

Status DecodeStatus(const std::string& bytes, int rank) {
  if (bytes.empty()) return Status::Ok();
  const size_t a = bytes.find('\n');
  const size_t b = a == std::string::npos ? a : bytes.find('\n', a + 1);
  if (b == std::string::npos) return InternalError("rank " + std::to_string(rank) + ": malformed status");
  int code = std::atoi(bytes.substr(0, a).c_str());
  if (code <= 0 || code > static_cast<int>(StatusCode::kInternal)) code = static_cast<int>(StatusCode::kInternal);
  return Status(static_cast<StatusCode>(code), "rank " + std::to_string(rank) + ": " + bytes.substr(b + 1),
                bytes.substr(a + 1, b - a - 1));
}

}  // namespace

Status AgreeOnStatus(Collectives& comm, const Status& local) {
  StatusOr<std::vector<std::string>> all = comm.AllgatherBytes(EncodeStatus(local));
  if (!all.ok()) return all.status();
  for (size_t r = 0; r < all->size(); ++r) {
    if (!(*all)[r].empty()) return DecodeStatus((*all)[r], static_cast<int>(r));
  }
  return Status::Ok();
}

}  // namespace hpsweep::worker
