// hpsweep-coordinator: schedules sweeps, leases trials to workers and ask/tell
// clients, and keeps every result in RocksDB.
//
//   hpsweep-coordinator --data-dir DIR [--host 127.0.0.1] [--port 8470]
//                       [--token-file PATH | env HPSWEEP_TOKEN]
//                       [--max-connections N]
//
// SIGTERM/SIGINT stop it gracefully: requests in flight finish and every
// acknowledged write is on disk.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "common/allocator.h"
#include "common/logging.h"
#include "coordinator/coordinator.h"
#include "coordinator/searcher_factory.h"
#include "proto/api_client.h"

namespace {

int g_signal_pipe[2] = {-1, -1};

// Async-signal-safe: only write(2).
void OnSignal(int sig) {
  const unsigned char byte = static_cast<unsigned char>(sig);
  const ssize_t written = write(g_signal_pipe[1], &byte, 1);
  (void)written;  // a full pipe already holds a signal: the stop is under way
}

constexpr char kUsage[] =
    "usage: hpsweep-coordinator --data-dir DIR [--host ADDR] [--port N] [--token-file PATH]\n"
    "  --data-dir DIR         database, token and endpoint files (required; made private\n"
    "                         to this user: 0700/0600)\n"
    "  --host ADDR            address to listen on (default 127.0.0.1; 0.0.0.0 for a cluster)\n"
    "  --port N               port (default 8470; 0 picks a free one)\n"
    "  --token-file PATH      read the API bearer token from PATH (default: $HPSWEEP_TOKEN,\n"
    "                         else DIR/token, generated on first start)\n"
    "  --token T              the token itself (visible to other users in ps; prefer the above)\n"
    "  --max-connections N    most open HTTP connections (default 512, within the open-file\n"
    "                         limit); at the cap the oldest idle connection is closed\n";

// Parses a whole decimal integer in [min, max] or exits with a message naming
// the flag.
long ParseIntFlag(const std::string& flag, const std::string& value, long min, long max) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || n < min || n > max) {
    std::cerr << "hpsweep-coordinator: " << flag << " must be an integer in " << min << ".."
              << max << ", found \"" << value << "\"\n";
    std::exit(2);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  // Tensor code below: freed buffers are reused, not faulted in again.
  (void)hpsweep::TuneAllocatorForTensors();
  using hpsweep::coordinator::Coordinator;
  using hpsweep::coordinator::CoordinatorOptions;
  CoordinatorOptions options;
  if (const char* env = std::getenv("HPSWEEP_TOKEN")) options.token = env;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "hpsweep-coordinator: " << arg << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--data-dir") options.data_dir = value();
    else if (arg == "--host") options.http.host = value();
    else if (arg == "--port") {
      options.http.port = static_cast<uint16_t>(ParseIntFlag(arg, value(), 0, 65535));
    } else if (arg == "--max-connections") {
      options.http.max_connections = static_cast<int>(ParseIntFlag(arg, value(), 1, 1 << 20));
    } else if (arg == "--token-file") {
      auto token = hpsweep::proto::ReadTokenFile(value());
      if (!token.ok()) {
        std::cerr << "hpsweep-coordinator: --token-file: " << token.status().message() << "\n";
        return 2;
      }
      options.token = *token;
    } else if (arg == "--token") {
      options.token = value();
      std::cerr << "hpsweep-coordinator: warning: --token is visible to other users in ps; "
                   "use --token-file or HPSWEEP_TOKEN\n";
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "hpsweep-coordinator: unknown argument \"" << arg << "\"\n" << kUsage;
      return 2;
    }
  }
  options.searcher_factory = hpsweep::coordinator::DefaultSearcherFactory();
  options.validator = hpsweep::coordinator::DefaultProgramValidator();

  // SIGTERM/SIGINT are caught by a handler that writes the signal number to a
  // pipe, read by a dedicated thread. (Blocking them for sigwait is not
  // enough: threads that libraries start before main, e.g. OpenBLAS's pool,
  // keep them unblocked, and the default action would kill the process.)
  if (pipe(g_signal_pipe) != 0) {
    std::cerr << "hpsweep-coordinator: cannot create a pipe: " << std::strerror(errno) << "\n";
    return 1;
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  Coordinator coordinator(std::move(options));
  hpsweep::Status started = coordinator.Start();
  if (!started.ok()) {
    std::cerr << "hpsweep-coordinator: " << started.message() << "\n";
    return 1;
  }
  std::thread signal_thread([&] {
    unsigned char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    HPS_LOG(INFO) << "received " << strsignal(sig);
    coordinator.Stop();
  });
  coordinator.Wait();
  signal_thread.join();
  return 0;
}
