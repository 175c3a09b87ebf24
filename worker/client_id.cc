#include "worker/client_id.h"

#include <cctype>

namespace hpsweep::worker {
namespace {

constexpr char kSlurmPrefix[] = "slurm-";

std::string Clean(const char* value, size_t max_bytes = 40) {
  std::string out;
  if (value == nullptr) return out;
  for (const char* p = value; *p != '\0' && out.size() < max_bytes; ++p) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::string DefaultClientId(const std::string& host, int pid, int color, const EnvLookup& env) {
  std::string base = Clean(host.c_str(), 100) + "-" + std::to_string(pid) + "-gang" +
                     std::to_string(color);
  std::string job = Clean(env("SLURM_ARRAY_JOB_ID"));
  const std::string task = Clean(env("SLURM_ARRAY_TASK_ID"));
  if (!job.empty() && !task.empty()) {
    job += "_" + task;
  } else {
    job = Clean(env("SLURM_JOB_ID"));
  }
  // '-' would make the job ambiguous to read back; ids are digits anyway.
  for (char& c : job) {
    if (c == '-') c = '_';
  }
  if (job.empty()) return base;
  std::string step = Clean(env("SLURM_STEP_ID"));
  for (char& c : step) {
    if (c == '-') c = '_';
  }
  return kSlurmPrefix + job + (step.empty() ? "" : "." + step) + "-" + base;
}

std::string SlurmJobOfClientId(const std::string& client_id) {
  const std::string prefix = kSlurmPrefix;
  if (client_id.compare(0, prefix.size(), prefix) != 0) return "";
  const size_t end = client_id.find('-', prefix.size());
  if (end == std::string::npos) return "";
  std::string job = client_id.substr(prefix.size(), end - prefix.size());
  const size_t dot = job.find('.');
  if (dot != std::string::npos) job.resize(dot);
  return job;
}

}  // namespace hpsweep::worker
