// hpsweep-coordinator: schedules sweeps, leases trials to workers and ask/tell
// clients, and keeps every result in RocksDB.
//
//   hpsweep-coordinator --data-dir DIR [--host 127.0.0.1] [--port 8470]
//                       [--token T | env HPSWEEP_TOKEN]
//
// SIGTERM/SIGINT stop it gracefully: requests in flight finish and every
// acknowledged write is on disk.
#include <signal.h>

#include <cstring>
#include <iostream>
#include <string>

#include "common/logging.h"
#include "coordinator/coordinator.h"
#include "coordinator/searcher_factory.h"

namespace {

constexpr char kUsage[] =
    "usage: hpsweep-coordinator --data-dir DIR [--host ADDR] [--port N] [--token T]\n"
    "  --data-dir DIR  database, token and endpoint files (required)\n"
    "  --host ADDR     address to listen on (default 127.0.0.1; 0.0.0.0 for a cluster)\n"
    "  --port N        port (default 8470; 0 picks a free one)\n"
    "  --token T       API bearer token (default: $HPSWEEP_TOKEN, else DIR/token, generated)\n";

}  // namespace

int main(int argc, char** argv) {
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
      const std::string v = value();
      char* end = nullptr;
      const long port = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) {
        std::cerr << "hpsweep-coordinator: --port must be 0..65535, found \"" << v << "\"\n";
        return 2;
      }
      options.http.port = static_cast<uint16_t>(port);
    } else if (arg == "--token") options.token = value();
    else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "hpsweep-coordinator: unknown argument \"" << arg << "\"\n" << kUsage;
      return 2;
    }
  }
  options.searcher_factory = hpsweep::coordinator::DefaultSearcherFactory();
  options.validator = hpsweep::coordinator::DefaultProgramValidator();

  // Signals are taken synchronously by a dedicated thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Coordinator coordinator(std::move(options));
  hpsweep::Status started = coordinator.Start();
  if (!started.ok()) {
    std::cerr << "hpsweep-coordinator: " << started.message() << "\n";
    return 1;
  }
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    HPS_LOG(INFO) << "received " << strsignal(sig);
    coordinator.Stop();
  });
  coordinator.Wait();
  signal_thread.detach();  // it may still sit in sigwait after a storage-failure stop
  return 0;
}
