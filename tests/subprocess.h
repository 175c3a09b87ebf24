// Subprocess: starts a program for a multi-process test and kills or waits for
// it. Output goes to a log file so a failing test can show it.
//
// Thread safety: not thread-safe.
#ifndef HPSWEEP_TESTS_SUBPROCESS_H_
#define HPSWEEP_TESTS_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace hpsweep::testing_util {

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

// Path of a runfile given its workspace-relative name ("coordinator/hpsweep-coordinator").
std::string Runfile(const std::string& path);
// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);
// A fresh directory under $TEST_TMPDIR.
std::string MakeTempDir(const std::string& name);

}  // namespace hpsweep::testing_util

#endif  // HPSWEEP_TESTS_SUBPROCESS_H_
