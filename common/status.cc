#include "common/status.h"

#include <array>

namespace hpsweep {
namespace {

// The one table of what each code means to callers: its wire name, whether a
// retry may succeed, and the HTTP status it is answered with.
struct CodeInfo {
  StatusCode code;
  std::string_view name;
  bool retryable;
  int http_status;
};

constexpr std::array<CodeInfo, 16> kCodes = {{
    {StatusCode::kOk, "OK", false, 200},
    {StatusCode::kInvalidArgument, "INVALID_ARGUMENT", false, 400},
    {StatusCode::kNotFound, "NOT_FOUND", false, 404},
    {StatusCode::kAlreadyExists, "ALREADY_EXISTS", false, 409},
    {StatusCode::kFailedPrecondition, "FAILED_PRECONDITION", false, 409},
    {StatusCode::kAborted, "ABORTED", true, 409},
    {StatusCode::kUnavailable, "UNAVAILABLE", true, 503},
    {StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED", true, 504},
    {StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED", false, 413},
    {StatusCode::kUnauthenticated, "UNAUTHENTICATED", false, 401},
    {StatusCode::kPermissionDenied, "PERMISSION_DENIED", false, 403},
    {StatusCode::kCancelled, "CANCELLED", false, 409},
    {StatusCode::kOutOfRange, "OUT_OF_RANGE", false, 400},
    {StatusCode::kUnimplemented, "UNIMPLEMENTED", false, 501},
    {StatusCode::kDataLoss, "DATA_LOSS", false, 500},
    {StatusCode::kInternal, "INTERNAL", false, 500},
}};

const CodeInfo& Info(StatusCode code) {
  for (const CodeInfo& info : kCodes) {
    if (info.code == code) return info;
  }
  return kCodes.back();  // An out-of-enum value is an internal error.
}

}  // namespace

std::string_view StatusCodeName(StatusCode code) { return Info(code).name; }

std::optional<StatusCode> StatusCodeFromName(std::string_view name) {
  for (const CodeInfo& info : kCodes) {
    if (info.name == name) return info.code;
  }
  return std::nullopt;
}

bool IsRetryable(StatusCode code) { return Info(code).retryable; }

int HttpStatusFor(StatusCode code) { return Info(code).http_status; }

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_, field_);
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  if (!field_.empty()) {
    out += " (at ";
    out += field_;
    out += ")";
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Status& status) {
  return os << status.ToString();
}

Status InvalidArgumentError(std::string message, std::string field) {
  return Status(StatusCode::kInvalidArgument, std::move(message), std::move(field));
}
Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
Status AlreadyExistsError(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
Status FailedPreconditionError(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
Status AbortedError(std::string m) { return Status(StatusCode::kAborted, std::move(m)); }
Status UnavailableError(std::string m) { return Status(StatusCode::kUnavailable, std::move(m)); }
Status DeadlineExceededError(std::string m) {
  return Status(StatusCode::kDeadlineExceeded, std::move(m));
}
Status ResourceExhaustedError(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}
Status UnauthenticatedError(std::string m) {
  return Status(StatusCode::kUnauthenticated, std::move(m));
}
Status PermissionDeniedError(std::string m) {
  return Status(StatusCode::kPermissionDenied, std::move(m));
}
Status CancelledError(std::string m) { return Status(StatusCode::kCancelled, std::move(m)); }
Status OutOfRangeError(std::string m) { return Status(StatusCode::kOutOfRange, std::move(m)); }
Status UnimplementedError(std::string m) {
  return Status(StatusCode::kUnimplemented, std::move(m));
}
Status DataLossError(std::string m) { return Status(StatusCode::kDataLoss, std::move(m)); }
Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

}  // namespace hpsweep
