// hpsweep-worker: an MPI job whose ranks lease trials from the coordinator and
// train them data-parallel, one trial at a time per gang.
//
//   mpirun -np N hpsweep-worker --coordinator http://HOST:PORT [--token T]
//          [--gang-size K] [--idle-wait S] [--lease-seconds S] [--sweep ID]
//          [--checkpoint-every STEPS] [--blas-threads 1] [--device cpu|cuda]
//
// The token comes from --token, $HPSWEEP_TOKEN or --data-dir/token. Ranks are
// split into gangs of K consecutive ranks (default: all ranks, one gang).
// SIGTERM/SIGINT: each gang finishes its current epoch, uploads its
// checkpoint and exits; the trial is resumed by whoever leases it next.
#include <dlfcn.h>
#include <mpi.h>
#include <signal.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <string>

#include "common/logging.h"
#include "proto/api_client.h"
#include "worker/gang.h"
#include "worker/mpi_collectives.h"

namespace {

std::atomic<bool> g_stop{false};  // set from the signal handler only

void OnSignal(int) { g_stop.store(true); }

constexpr char kUsage[] =
    "usage: mpirun -np N hpsweep-worker --coordinator URL [options]\n"
    "  --coordinator URL     coordinator address, e.g. http://10.0.0.5:8470 ($HPSWEEP_URL)\n"
    "  --token T             API token ($HPSWEEP_TOKEN, or --data-dir DIR/token)\n"
    "  --data-dir DIR        a local coordinator's data dir (endpoint and token files)\n"
    "  --gang-size K         ranks per gang (default: all ranks)\n"
    "  --sweep ID            only trials of this sweep (default: any model sweep)\n"
    "  --idle-wait S         exit after S seconds without work (default 30)\n"
    "  --lease-seconds S     lease length; heartbeats every S/4 (default 60)\n"
    "  --checkpoint-every N  also checkpoint every N steps (default: epoch ends only)\n"
    "  --blas-threads N      BLAS threads per rank (default 1)\n"
    "  --device cpu|cuda     where models run (default: cuda if available, else cpu)\n"
    "  --base-dir DIR        resolve relative model/data paths here (default: cwd)\n";

// Debian's OpenBLAS reads OPENBLAS_NUM_THREADS when it loads; this sets the
// count afterwards too, so a rank never oversubscribes its cores by default.
void SetBlasThreads(int n) {
  using SetThreads = void (*)(int);
  if (auto* fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    fn(n);
  }
  torch::set_num_threads(n);
}

int Fail(int rank, const std::string& message) {
  if (rank == 0) std::cerr << "hpsweep-worker: " << message << "\n";
  MPI_Abort(MPI_COMM_WORLD, 2);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  std::string url, token, data_dir, device_name;
  int gang_size = size, blas_threads = 1;
  hpsweep::worker::GangOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      if (rank == 0) std::cout << kUsage;
      MPI_Finalize();
      return 0;
    }
    if (i + 1 >= argc) return Fail(rank, "unknown or incomplete argument \"" + arg + "\"\n" + kUsage);
    const std::string value = argv[++i];
    if (arg == "--coordinator") url = value;
    else if (arg == "--token") token = value;
    else if (arg == "--data-dir") data_dir = value;
    else if (arg == "--gang-size") gang_size = std::atoi(value.c_str());
    else if (arg == "--sweep") options.sweep_id = std::strtoull(value.c_str(), nullptr, 10);
    else if (arg == "--idle-wait") options.idle_wait_seconds = std::atof(value.c_str());
    else if (arg == "--lease-seconds") options.lease_seconds = std::atoll(value.c_str());
    else if (arg == "--checkpoint-every") options.checkpoint_every_steps = std::atoll(value.c_str());
    else if (arg == "--blas-threads") blas_threads = std::atoi(value.c_str());
    else if (arg == "--device") device_name = value;
    else if (arg == "--base-dir") options.base_dir = value;
    else return Fail(rank, "unknown argument \"" + arg + "\"\n" + kUsage);
  }
  if (gang_size < 1 || size % gang_size != 0) {
    return Fail(rank, "--gang-size must divide the number of ranks (" + std::to_string(size) +
                          "), found " + std::to_string(gang_size));
  }
  if (blas_threads < 1) return Fail(rank, "--blas-threads must be >= 1");
  SetBlasThreads(blas_threads);
  if (device_name == "cuda" || (device_name.empty() && torch::cuda::is_available())) {
    if (!torch::cuda::is_available()) return Fail(rank, "--device cuda, but no CUDA device is available");
    options.device = torch::Device(torch::kCUDA, 0);
  } else if (!device_name.empty() && device_name != "cpu") {
    return Fail(rank, "--device must be cpu or cuda, found \"" + device_name + "\"");
  }

  auto connection = hpsweep::proto::ResolveConnection(url, token, data_dir);
  if (!connection.ok()) return Fail(rank, connection.status().message());

  const int color = rank / gang_size;
  hpsweep::worker::MpiCollectivesOptions comm_options;
  comm_options.color = color;
  auto comm = hpsweep::worker::MpiCollectives::Create(MPI_COMM_WORLD, comm_options);
  if (!comm.ok()) return Fail(rank, comm.status().ToString());
  hpsweep::SetLogPrefix("rank " + std::to_string(rank));

  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  options.client_id = std::string(host) + "-" + std::to_string(getpid()) + "-gang" +
                      std::to_string(color);
  std::unique_ptr<hpsweep::proto::CoordinatorClient> client;
  if ((*comm)->rank() == 0) {
    auto created = hpsweep::proto::CoordinatorClient::Create(*connection);
    if (!created.ok()) return Fail(rank, created.status().message());
    client = std::move(*created);
  }
  hpsweep::Status valid = options.Validate();
  if (!valid.ok()) return Fail(rank, valid.message());

  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  hpsweep::worker::Gang gang(comm->get(), std::move(client), *connection, options);
  std::thread watcher([&gang] {
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gang.RequestStop();
  });
  hpsweep::Status status = gang.Run();
  g_stop.store(true);
  watcher.join();
  if (!status.ok()) {
    HPS_LOG(ERROR) << "gang stopped: " << status;
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }
  const auto& stats = gang.stats();
  if ((*comm)->rank() == 0) {
    HPS_LOG(INFO) << "gang done: " << stats.trials_completed << " completed, "
                  << stats.trials_failed << " failed, " << stats.trials_stopped << " stopped, "
                  << stats.trials_resumed << " resumed";
  }
  comm->reset();
  MPI_Finalize();
  return 0;
}
