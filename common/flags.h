// Flags: the one checked command-line parser of hpsweep's programs (the
// coordinator, the worker and the CLI).
//
// A program declares each flag once, bound to the variable it sets, then
// parses its arguments:
//
//   Flags flags;
//   flags.String("--data-dir", &options.data_dir);
//   flags.Int("--port", &port, 0, 65535);
//   flags.Double("--idle-wait", &options.idle_wait_seconds, 0, 1e9);
//   HPS_ASSIGN_OR_RETURN(std::vector<std::string> positional, flags.Parse(args));
//   if (flags.help()) { print usage }
//
// Rules (one place for all programs):
//   - a flag's value is the next argument ("--port 80") or follows '='
//     ("--port=80");
//   - integers are whole decimal numbers, doubles finite numbers, both within
//     the declared inclusive range; anything else ("abc", "1.5" for an
//     integer, "", "1e999") is an error naming the flag and the value;
//   - an undeclared flag (anything starting with '-' except "-" itself) is an
//     error; so is a declared flag without a value;
//   - "--help" or "-h" anywhere sets help() and Parse returns OK with no
//     positional arguments and nothing else checked or set, so the caller
//     prints its usage whatever else the command line holds;
//   - everything else is a positional argument, returned in order.
// On an error nothing is left half-parsed that matters: callers print the
// message and exit with the usage status.
//
// Thread safety: a Flags object is used from one thread; it holds pointers to
// the caller's variables, which must outlive Parse.
#ifndef HPSWEEP_COMMON_FLAGS_H_
#define HPSWEEP_COMMON_FLAGS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace hpsweep {

class Flags {
 public:
  // Declarations. `name` includes its dashes ("--port"). Declaring a name
  // twice replaces the earlier declaration.
  void String(const std::string& name, std::string* value);
  // A whole number in [min, max], stored in any integer type that holds the
  // range.
  template <typename T>
  void Int(const std::string& name, T* value, int64_t min, int64_t max) {
    Declare(name, [name, value, min, max](const std::string& text) -> Status {
      HPS_ASSIGN_OR_RETURN(int64_t n, ParseInt(name, text, min, max));
      *value = static_cast<T>(n);
      return Status();
    });
  }
  // A finite number in [min, max].
  void Double(const std::string& name, double* value, double min, double max);

  // Parses `args` (without the program name). Returns the positional
  // arguments, or INVALID_ARGUMENT naming the flag and the value at fault.
  StatusOr<std::vector<std::string>> Parse(const std::vector<std::string>& args);
  // Same, for main's argc/argv (argv[0] is skipped).
  StatusOr<std::vector<std::string>> Parse(int argc, char** argv);

  // After Parse: whether --help or -h was given.
  bool help() const { return help_; }
  // After Parse: whether `name` was given a value.
  bool IsSet(const std::string& name) const { return set_.count(name) > 0; }

  // The parsers behind Int and Double, for values that are not flags (e.g. a
  // positional sweep id). `what` names the value in the error message.
  static StatusOr<int64_t> ParseInt(const std::string& what, const std::string& text, int64_t min,
                                    int64_t max);
  static StatusOr<double> ParseDouble(const std::string& what, const std::string& text,
                                      double min, double max);

 private:
  using Setter = std::function<Status(const std::string& text)>;
  void Declare(const std::string& name, Setter setter) { setters_[name] = std::move(setter); }

  std::map<std::string, Setter> setters_;
  std::set<std::string> set_;
  bool help_ = false;
};

}  // namespace hpsweep

#endif  // HPSWEEP_COMMON_FLAGS_H_
