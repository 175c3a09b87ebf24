// hpsweep-coordinator: schedules sweeps, leases trials to workers and ask/tell
// clients, and keeps every result in RocksDB.
//
//   hpsweep-coordinator --data-dir DIR [--host 127.0.0.1] [--port 8470]
//                       [--token-file PATH | env HPSWEEP_TOKEN] [--read-auth open|token]
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
#include "common/flags.h"
#include "common/logging.h"
#include "coordinator/coordinator.h"
#include "coordinator/searcher_factory.h"
#include "models/zoo_validator.h"
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
    "                         limit); at the cap the oldest idle connection is closed\n"
    "  --read-auth open|token whether reads (sweeps, trials, the dashboard's data) need the\n"
    "                         token too (default open; use token on a shared network)\n";

}  // namespace

int main(int argc, char** argv) {
  // Tensor code below: freed buffers are reused, not faulted in again.
  (void)hpsweep::TuneAllocatorForTensors();
  using hpsweep::coordinator::Coordinator;
  using hpsweep::coordinator::CoordinatorOptions;
  CoordinatorOptions options;
  std::string token_file, token;
  hpsweep::Flags flags;
  flags.String("--data-dir", &options.data_dir);
  flags.String("--host", &options.http.host);
  flags.Int("--port", &options.http.port, 0, 65535);
  flags.Int("--max-connections", &options.http.max_connections, 1, 1 << 20);
  flags.String("--token-file", &token_file);
  flags.String("--token", &token);
  std::string read_auth = "open";
  flags.String("--read-auth", &read_auth);
  auto positional = flags.Parse(argc, argv);
  if (!positional.ok() || !positional->empty()) {
    std::cerr << "hpsweep-coordinator: "
              << (positional.ok() ? "unexpected argument \"" + positional->front() + "\""
                                  : positional.status().message())
              << "\n"
              << kUsage;
    return 2;
  }
  if (flags.help()) {
    std::cout << kUsage;
    return 0;
  }
  if (read_auth != "open" && read_auth != "token") {
    std::cerr << "hpsweep-coordinator: --read-auth must be open or token, found \"" << read_auth
              << "\"\n"
              << kUsage;
    return 2;
  }
  options.token_for_reads = read_auth == "token";
  if (const char* env = std::getenv("HPSWEEP_TOKEN")) options.token = env;
  if (flags.IsSet("--token-file")) {
    auto read = hpsweep::proto::ReadTokenFile(token_file);
    if (!read.ok()) {
      std::cerr << "hpsweep-coordinator: --token-file: " << read.status().message() << "\n";
      return 2;
    }
    options.token = *read;
  }
  if (flags.IsSet("--token")) {
    options.token = token;
    std::cerr << "hpsweep-coordinator: warning: --token is visible to other users in ps; "
                 "use --token-file or HPSWEEP_TOKEN\n";
  }
  options.searcher_factory = hpsweep::coordinator::DefaultSearcherFactory();
  options.validator = hpsweep::models::ValidateZooProgram;

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
