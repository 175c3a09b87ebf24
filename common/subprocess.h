// Subprocess: starts a program (a worker job, a coordinator under test) in a
// process group of its own, and signals or waits for it. Output goes to a log
// file.
//
// Thread safety: not thread-safe.
#ifndef HPSWEEP_COMMON_SUBPROCESS_H_
#define HPSWEEP_COMMON_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace hpsweep {

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();  // SIGKILLs a process still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts argv[0] (searched on PATH) in a new process group; stdout and stderr go to `log_path`
  // (appended). `env` entries "K=V" are added to the environment.
  Status Start(const std::vector<std::string>& argv, const std::string& log_path,
               const std::vector<std::string>& env = {});
  bool running() const { return pid_ > 0; }
  // Sends `signal` to the whole process group without waiting.
  void Signal(int signal);
  pid_t pid() const { return pid_; }
  // Sends `signal` (SIGKILL: to its whole process group) and waits; returns
  // the exit status (128 + signal if killed). Leftovers of the group are
  // SIGKILLed afterwards.
  int Kill(int signal);
  // Waits up to `seconds`; returns the exit status, or -1 on timeout.
  int Wait(double seconds);

 private:
  pid_t pid_ = -1;
};

// Path of a Bazel test runfile given its workspace-relative name
// ("coordinator/hpsweep-coordinator"); the name itself outside tests.
std::string Runfile(const std::string& path);
// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);
// A fresh directory under $TEST_TMPDIR (or /tmp).
std::string MakeTempDir(const std::string& name);

}  // namespace hpsweep

#endif  // HPSWEEP_COMMON_SUBPROCESS_H_
