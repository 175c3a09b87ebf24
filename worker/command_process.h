// CommandProcess: one running command of a command trial (a rank's copy of
// the user's script), in a process group of its own, with its stdout, stderr
// and the script's request/reply pipes (worker/command_program.h) connected
// to the worker.
//
// A reader thread reads the three output streams line by line: it copies
// every stdout/stderr line to the worker's stderr (prefixed), keeps the tail
// of stderr for a failure reason, and queues stdout report lines and script
// requests as events for the owner's thread, which answers requests with
// Reply in the order they came.
//
// Thread safety: every method is called from one thread (the owner's); the
// reader thread is internal.
#ifndef HPSWEEP_WORKER_COMMAND_PROCESS_H_
#define HPSWEEP_WORKER_COMMAND_PROCESS_H_

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace hpsweep::worker {

struct CommandEvent {
  enum class Kind { kStdoutLine, kRequest };
  Kind kind = Kind::kStdoutLine;
  std::string line;
};

// How a command ended.
struct CommandExit {
  bool exited = false;  // true: exit status in `code`; false: killed by `signal`
  int code = 0;
  int signal = 0;
  bool ok() const { return exited && code == 0; }
  // "exited with status 1", "killed by signal 9 (SIGKILL)".
  std::string Describe() const;
};

class CommandProcess {
 public:
  CommandProcess() = default;
  ~CommandProcess();  // SIGKILLs the group if still running, joins the reader
  CommandProcess(const CommandProcess&) = delete;
  CommandProcess& operator=(const CommandProcess&) = delete;

  // Starts argv (argv[0] searched on PATH when it has no '/') in `workdir`
  // with the worker's environment plus `env` ("K=V", replacing variables of
  // the same name). stdin is /dev/null; the script writes requests to
  // descriptor kScriptRequestFd and reads replies from kScriptReplyFd; no
  // other descriptor of the worker is inherited. Output lines are copied to
  // stderr with `log_prefix`.
  // FAILED_PRECONDITION when workdir is not a folder or the program cannot be
  // executed; INTERNAL when pipes or fork fail.
  Status Start(const std::vector<std::string>& argv, const std::string& workdir,
               const std::vector<std::string>& env, const std::string& log_prefix);

  // Waits up to `seconds` for events; returns those queued (possibly none).
  std::vector<CommandEvent> WaitEvents(double seconds);
  // Answers the oldest unanswered request with one line (a newline is added).
  // A script that has gone away is ignored.
  void Reply(const std::string& line);

  // The exit once the process has ended (reaps it without blocking).
  std::optional<CommandExit> Poll();
  // SIGTERM to the group, then SIGKILL after `grace_seconds`; waits for the
  // process and returns how it ended (the exit it had if it already ended).
  CommandExit Terminate(double grace_seconds);

  // The descriptors a script writes requests to and reads replies from.
  static constexpr int kScriptRequestFd = 3;
  static constexpr int kScriptReplyFd = 4;
  // After the process ended: waits up to `seconds` for the rest of its
  // output (until its pipes close), stops reading, and returns the events
  // not yet taken.
  std::vector<CommandEvent> Finish(double seconds);
  // The last lines of what the command wrote on stderr.
  std::string StderrTail(size_t max_lines, size_t max_bytes);

 private:
  void ReadLoop();
  void StopReader();

  pid_t pid_ = -1;
  std::optional<CommandExit> exit_;
  int stdout_fd_ = -1, stderr_fd_ = -1, request_fd_ = -1, reply_fd_ = -1;
  int wake_read_ = -1, wake_write_ = -1;
  std::string log_prefix_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<CommandEvent> events_;
  std::string stderr_tail_;
  bool reader_done_ = false;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_COMMAND_PROCESS_H_
