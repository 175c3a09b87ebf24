// Status and StatusOr<T>: how every hpsweep function that can fail reports it.
//
// A Status is a code, a message and, for input errors, the JSON pointer of the
// offending field ("/parameters/lr/min"). Codes are chosen by what the caller
// should do about them (see IsRetryable), after absl::StatusCode. Statuses are
// returned, never thrown; adapters at each library boundary (LibTorch, MPI,
// NCCL, RocksDB, Beast) convert that library's errors into a Status once.
//
// Thread safety: Status and StatusOr are values; distinct objects may be used
// from distinct threads, one object needs external synchronisation.
#ifndef HPSWEEP_COMMON_STATUS_H_
#define HPSWEEP_COMMON_STATUS_H_

#include <cassert>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hpsweep {

enum class StatusCode : int {
  kOk = 0,
  // The request itself is wrong; retrying it unchanged fails again.
  kInvalidArgument = 1,
  kNotFound = 2,
  kAlreadyExists = 3,
  // The system is not in a state that allows the operation (e.g. reporting to
  // a trial that is already completed); retry only after the state changes.
  kFailedPrecondition = 4,
  // A concurrency conflict (lease taken by another client): retry higher up.
  kAborted = 5,
  // Transient: the peer or resource may come back. Retry with backoff.
  kUnavailable = 6,
  kDeadlineExceeded = 7,
  // Too large for this server (a body over its limit): do not retry unchanged.
  kResourceExhausted = 8,
  kUnauthenticated = 9,
  kPermissionDenied = 10,
  kCancelled = 11,
  kOutOfRange = 12,
  kUnimplemented = 13,
  // Stored data is unreadable or inconsistent. Never retry; investigate.
  kDataLoss = 14,
  // A broken invariant inside hpsweep.
  kInternal = 15,
};

// "INVALID_ARGUMENT", ... as used on the wire.
std::string_view StatusCodeName(StatusCode code);
// Inverse of StatusCodeName; nullopt for an unknown name.
std::optional<StatusCode> StatusCodeFromName(std::string_view name);
// True where retrying the same call later may succeed.
bool IsRetryable(StatusCode code);
// The HTTP status an API error with this code is answered with.
int HttpStatusFor(StatusCode code);

class [[nodiscard]] Status {
 public:
  // OK.
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // JSON pointer of the offending input field; empty when not about a field.
  const std::string& field() const { return field_; }

  // A copy whose message is "context: message" (field and code kept).
  Status WithContext(std::string_view context) const;
  // "INVALID_ARGUMENT: message (at /field)".
  std::string ToString() const;

  // Marks an error as deliberately ignored; greppable.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_ && a.field_ == b.field_;
  }
  friend bool operator!=(const Status& a, const Status& b) { return !(a == b); }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

// Constructors named by code, for brevity at call sites.
Status InvalidArgumentError(std::string message, std::string field = {});
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status UnavailableError(std::string message);
Status DeadlineExceededError(std::string message);
Status ResourceExhaustedError(std::string message);
Status UnauthenticatedError(std::string message);
Status PermissionDeniedError(std::string message);
Status CancelledError(std::string message);
Status OutOfRangeError(std::string message);
Status UnimplementedError(std::string message);
Status DataLossError(std::string message);
Status InternalError(std::string message);

// A T or the Status explaining why there is none. Never holds an OK status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  // REQUIRES: !status.ok(). An OK status here becomes kInternal.
  StatusOr(Status status) : value_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(value_).ok()) {
      value_ = Status(StatusCode::kInternal, "StatusOr constructed from an OK status");
    }
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, T>>>
  StatusOr(U&& value) : value_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(value_); }
  // OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(value_); }

  // REQUIRES: ok().
  const T& value() const& {
    assert(ok());
    return std::get<T>(value_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(value_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(value_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The value, or `fallback` when there is none.
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<Status, T> value_;
};

}  // namespace hpsweep

#define HPS_STATUS_CONCAT_INNER_(a, b) a##b
#define HPS_STATUS_CONCAT_(a, b) HPS_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function if it is an error.
#define HPS_RETURN_IF_ERROR(expr)                          \
  do {                                                     \
    ::hpsweep::Status hps_status_ = (expr);                \
    if (!hps_status_.ok()) return hps_status_;             \
  } while (0)

// `HPS_ASSIGN_OR_RETURN(auto x, Foo());` declares/assigns x from a StatusOr or
// returns its error from the enclosing function.
#define HPS_ASSIGN_OR_RETURN(lhs, expr) \
  HPS_ASSIGN_OR_RETURN_IMPL_(HPS_STATUS_CONCAT_(hps_statusor_, __LINE__), lhs, expr)
#define HPS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#endif  // HPSWEEP_COMMON_STATUS_H_
