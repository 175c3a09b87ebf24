#include "common/flags.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace hpsweep {
namespace {

bool IsHelp(const std::string& arg) { return arg == "--help" || arg == "-h"; }

bool LooksLikeFlag(const std::string& arg) { return arg.size() > 1 && arg[0] == '-'; }

}  // namespace

void Flags::String(const std::string& name, std::string* value) {
  Declare(name, [value](const std::string& text) {
    *value = text;
    return Status();
  });
}

void Flags::Double(const std::string& name, double* value, double min, double max) {
  Declare(name, [name, value, min, max](const std::string& text) -> Status {
    HPS_ASSIGN_OR_RETURN(*value, ParseDouble(name, text, min, max));
    return Status();
  });
}

StatusOr<int64_t> Flags::ParseInt(const std::string& what, const std::string& text, int64_t min,
                                  int64_t max) {
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  // strtoll skips leading blanks; a value with them is as wrong as trailing ones.
  const bool whole = !text.empty() && !std::isspace(static_cast<unsigned char>(text[0])) &&
                     *end == '\0' && errno == 0;
  if (!whole || n < min || n > max) {
    std::ostringstream message;
    message << what << " must be a whole number in [" << min << ", " << max << "], found \""
            << text << "\"";
    return InvalidArgumentError(message.str());
  }
  return static_cast<int64_t>(n);
}

StatusOr<double> Flags::ParseDouble(const std::string& what, const std::string& text, double min,
                                    double max) {
  char* end = nullptr;
  errno = 0;
  const double n = std::strtod(text.c_str(), &end);
  const bool number = !text.empty() && !std::isspace(static_cast<unsigned char>(text[0])) &&
                      *end == '\0' && errno == 0 && std::isfinite(n);
  if (!number || !(n >= min && n <= max)) {
    std::ostringstream message;
    message << what << " must be a number in [" << min << ", " << max << "], found \"" << text
            << "\"";
    return InvalidArgumentError(message.str());
  }
  return n;
}

StatusOr<std::vector<std::string>> Flags::Parse(const std::vector<std::string>& args) {
  // Usage is printed whatever else is on the line.
  if (std::any_of(args.begin(), args.end(), IsHelp)) {
    help_ = true;
    return std::vector<std::string>();
  }
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!LooksLikeFlag(arg)) {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg;
    std::string value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto setter = setters_.find(name);
    if (setter == setters_.end()) return InvalidArgumentError("unknown flag " + name);
    if (!has_value) {
      if (i + 1 >= args.size()) return InvalidArgumentError(name + " needs a value");
      value = args[++i];
    }
    HPS_RETURN_IF_ERROR(setter->second(value));
    set_.insert(name);
  }
  return positional;
}

StatusOr<std::vector<std::string>> Flags::Parse(int argc, char** argv) {
  return Parse(std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc));
}

}  // namespace hpsweep
