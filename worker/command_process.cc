#include "worker/command_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <map>

#include "worker/command_program.h"

extern char** environ;

namespace hpsweep::worker {
namespace {

// Longest line kept whole; longer ones are cut (a progress bar without
// newlines must not grow without bound).
constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr size_t kStderrKeepBytes = 64 * 1024;

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

std::string Errno(const std::string& what) { return what + ": " + strerror(errno); }

}  // namespace

std::string CommandExit::Describe() const {
  if (exited) return "exited with status " + std::to_string(code);
  const char* name = sigabbrev_np(signal);
  return "killed by signal " + std::to_string(signal) +
         (name ? std::string(" (SIG") + name + ")" : "");
}

CommandProcess::~CommandProcess() {
  if (pid_ > 0 && !exit_) Terminate(0);
  StopReader();
  for (int* fd : {&stdout_fd_, &stderr_fd_, &request_fd_, &reply_fd_, &wake_read_, &wake_write_}) {
    CloseFd(fd);
  }
}

Status CommandProcess::Start(const std::vector<std::string>& argv, const std::string& workdir,
                             const std::vector<std::string>& env,
                             const std::string& log_prefix) {
  if (argv.empty()) return InvalidArgumentError("empty command");
  struct stat st {};
  if (stat(workdir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPreconditionError("the command's folder \"" + workdir + "\" is not a folder");
  }
  log_prefix_ = log_prefix;
  // Everything the child needs is built before fork: after it, the child of
  // a multi-threaded worker may only make async-signal-safe calls.
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const std::string& kv : env) {
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::vector<std::string> env_text;
  for (const auto& [k, v] : vars) env_text.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (std::string& kv : env_text) envp.push_back(kv.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (std::string& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);

  int out[2], err[2], req[2], rep[2], exec_err[2], wake[2];
  int* all[] = {out, err, req, rep, exec_err, wake};
  for (size_t i = 0; i < 6; ++i) {
    // The reply channel is a socket so that writing to a script that has
    // gone away is EPIPE (send with MSG_NOSIGNAL), never SIGPIPE.
    const int made = all[i] == rep ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rep)
                                   : pipe2(all[i], O_CLOEXEC);
    if (made != 0) {
      const Status error = InternalError(Errno("pipe"));
      for (size_t j = 0; j < i; ++j) {
        close(all[j][0]);
        close(all[j][1]);
      }
      return error;
    }
  }
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  // its own group: a stop reaches the script's children too
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed worker takes its script along
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    // High copies first, so that dup2 onto 3 and 4 cannot clobber a source.
    const int req_w = fcntl(req[1], F_DUPFD_CLOEXEC, 64);
    const int rep_r = fcntl(rep[0], F_DUPFD_CLOEXEC, 64);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    dup2(req_w, kScriptRequestFd);
    dup2(rep_r, kScriptReplyFd);
    int failure = 0;
    if (chdir(workdir.c_str()) != 0) failure = errno;
    if (failure == 0) {
      execvpe(args[0], args.data(), envp.data());
      failure = errno;
    }
    (void)!write(exec_err[1], &failure, sizeof(failure));
    _exit(127);
  }
  const int fork_errno = errno;
  if (devnull >= 0) close(devnull);
  close(out[1]);
  close(err[1]);
  close(req[1]);
  close(rep[0]);
  close(exec_err[1]);
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  request_fd_ = req[0];
  reply_fd_ = rep[1];
  wake_read_ = wake[0];
  wake_write_ = wake[1];
  if (pid < 0) {
    close(exec_err[0]);
    errno = fork_errno;
    return InternalError(Errno("fork"));
  }
  pid_ = pid;
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(exec_err[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(exec_err[0]);
  if (n == sizeof(child_errno)) {
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_ = CommandExit{true, 127, 0};
    return FailedPreconditionError("cannot run \"" + argv[0] + "\" in " + workdir + ": " +
                                   strerror(child_errno));
  }
  reader_ = std::thread([this] { ReadLoop(); });
  return Status();
}

void CommandProcess::ReadLoop() {
  struct Stream {
    int fd;
    std::string partial;
    bool open = true;
  };
  Stream streams[3] = {{stdout_fd_, {}}, {stderr_fd_, {}}, {request_fd_, {}}};
  auto emit = [&](int index, std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (index == 2) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back({CommandEvent::Kind::kRequest, std::move(line)});
      cv_.notify_all();
      return;
    }
    std::cerr << log_prefix_ << line << "\n";
    std::lock_guard<std::mutex> lock(mu_);
    if (index == 1) {
      stderr_tail_ += line + "\n";
      if (stderr_tail_.size() > 2 * kStderrKeepBytes) {
        stderr_tail_.erase(0, stderr_tail_.size() - kStderrKeepBytes);
      }
    } else if (line.rfind("hpsweep:", 0) == 0) {
      events_.push_back({CommandEvent::Kind::kStdoutLine, std::move(line)});
      cv_.notify_all();
    }
  };
  char buffer[65536];
  while (true) {
    pollfd fds[4];
    int n = 0;
    int index_of[4];
    for (int i = 0; i < 3; ++i) {
      if (!streams[i].open) continue;
      fds[n] = {streams[i].fd, POLLIN, 0};
      index_of[n++] = i;
    }
    if (n == 0) break;
    fds[n] = {wake_read_, POLLIN, 0};
    index_of[n] = -1;
    if (poll(fds, n + 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[n].revents != 0) break;  // StopReader
    for (int k = 0; k < n; ++k) {
      if (fds[k].revents == 0) continue;
      Stream& s = streams[index_of[k]];
      const ssize_t got = read(s.fd, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        s.open = false;
        if (!s.partial.empty()) emit(index_of[k], std::move(s.partial));
        s.partial.clear();
        continue;
      }
      s.partial.append(buffer, static_cast<size_t>(got));
      size_t start = 0, nl;
      while ((nl = s.partial.find('\n', start)) != std::string::npos) {
        emit(index_of[k], s.partial.substr(start, nl - start));
        start = nl + 1;
      }
      s.partial.erase(0, start);
      if (s.partial.size() > kMaxLineBytes) {
        emit(index_of[k], s.partial.substr(0, kMaxLineBytes));
        s.partial.clear();
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  reader_done_ = true;
  cv_.notify_all();
}

std::vector<CommandEvent> CommandProcess::Finish(double seconds) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return reader_done_; });
  }
  StopReader();
  return WaitEvents(0);
}

void CommandProcess::StopReader() {
  if (!reader_.joinable()) return;
  if (wake_write_ >= 0) (void)!write(wake_write_, "x", 1);
  reader_.join();
}

std::vector<CommandEvent> CommandProcess::WaitEvents(double seconds) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return !events_.empty(); });
  std::vector<CommandEvent> out(std::make_move_iterator(events_.begin()),
                                std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

void CommandProcess::Reply(const std::string& line) {
  if (reply_fd_ < 0) return;
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = send(reply_fd_, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EPIPE: the script has gone
    done += static_cast<size_t>(n);
  }
}

std::optional<CommandExit> CommandProcess::Poll() {
  if (exit_ || pid_ <= 0) return exit_;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  exit_ = WIFEXITED(status) ? CommandExit{true, WEXITSTATUS(status), 0}
                            : CommandExit{false, 0, WTERMSIG(status)};
  // Children the script left behind go with it; then the pipes close.
  kill(-pid_, SIGKILL);
  return exit_;
}

CommandExit CommandProcess::Terminate(double grace_seconds) {
  if (auto done = Poll()) return *done;
  kill(-pid_, SIGTERM);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto done = Poll()) return *done;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_ = WIFEXITED(status) ? CommandExit{true, WEXITSTATUS(status), 0}
                            : CommandExit{false, 0, WTERMSIG(status)};
  return *exit_;
}

std::string CommandProcess::StderrTail(size_t max_lines, size_t max_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  return TailLines(stderr_tail_, max_lines, max_bytes);
}

}  // namespace hpsweep::worker
