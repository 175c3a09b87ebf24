// hpsweep-worker: an MPI job whose ranks lease trials from the coordinator and
// train them data-parallel, one trial at a time per gang.
//
//   mpirun -np N hpsweep-worker --coordinator http://HOST:PORT [--token-file PATH]
//          [--gang-size K] [--idle-wait S] [--lease-seconds S] [--sweep ID]
//          [--checkpoint-every STEPS] [--blas-threads 1] [--device cpu|cuda]
//
// The token comes from --token-file, $HPSWEEP_TOKEN or --data-dir/token (see
// proto::ResolveConnection). Ranks are split into gangs of K consecutive ranks
// (default: all ranks, one gang).
//
// Exit status: 0 when the work is done, the idle wait passed or a signal
// stopped it; 2 for bad flags; 1 when the coordinator refused the gang (bad
// token), stayed unreachable past --unreachable-wait, or a gang failed.
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
#include <thread>

#include "common/allocator.h"
#include "common/flags.h"
#include "common/logging.h"
#include "proto/api_client.h"
#include "worker/client_id.h"
#include "worker/coordinator_client.h"
#include "worker/gang.h"
#include "worker/mpi_collectives.h"
#include "worker/rank_device.h"
#include "worker/routed_collectives.h"
#ifdef HPSWEEP_HAVE_NCCL
#include "worker/nccl_collectives.h"
#endif

namespace {

std::atomic<bool> g_stop{false};  // set from the signal handler only

void OnSignal(int) { g_stop.store(true); }

constexpr char kUsage[] =
    "usage: mpirun -np N hpsweep-worker --coordinator URL [options]\n"
    "  --coordinator URL     coordinator address, e.g. http://10.0.0.5:8470 ($HPSWEEP_URL)\n"
    "  --token-file PATH     file holding the API token (else $HPSWEEP_TOKEN, else\n"
    "                        --data-dir DIR/token); --token T works but shows it in ps\n"
    "  --data-dir DIR        a local coordinator's data dir (endpoint and token files)\n"
    "  --gang-size K         ranks per gang (default: all ranks)\n"
    "  --sweep ID            only trials of this sweep (default: any model sweep)\n"
    "  --idle-wait S         exit after S seconds without work (default 30)\n"
    "  --unreachable-wait S  fail (exit 1) after S seconds without reaching the\n"
    "                        coordinator (default 120)\n"
    "  --lease-seconds S     lease length; heartbeats every S/4 (default 60)\n"
    "  --checkpoint-every N  also checkpoint every N steps (default: epoch ends only)\n"
    "  --blas-threads N      BLAS threads per rank (default 1)\n"
    "  --device cpu|cuda     where models run (default: cuda if available, else cpu);\n"
    "                        a CUDA rank uses the device of its local rank among the\n"
    "                        devices CUDA_VISIBLE_DEVICES shows, and NCCL (--config=cuda)\n"
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

int Fail(int rank, const std::string& message, int code = 2) {
  if (rank == 0) std::cerr << "hpsweep-worker: " << message << "\n";
  MPI_Abort(MPI_COMM_WORLD, code);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // Tensor code below: freed buffers are reused, not faulted in again.
  (void)hpsweep::TuneAllocatorForTensors();
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  std::string url, token, token_file, data_dir, device_name;
  int gang_size = size, blas_threads = 1;
  hpsweep::worker::GangOptions options;
  hpsweep::Flags flags;
  flags.String("--coordinator", &url);
  flags.String("--token", &token);
  flags.String("--token-file", &token_file);
  flags.String("--data-dir", &data_dir);
  flags.String("--device", &device_name);
  flags.String("--base-dir", &options.base_dir);
  flags.Int("--gang-size", &gang_size, 1, 1 << 20);
  flags.Int("--sweep", &options.sweep_id, 1, int64_t{9'000'000'000'000'000});
  flags.Double("--idle-wait", &options.idle_wait_seconds, 0, 1e9);
  flags.Double("--unreachable-wait", &options.unreachable_wait_seconds, 0, 1e9);
  flags.Int("--lease-seconds", &options.lease_seconds, 4, 3600);
  flags.Int("--checkpoint-every", &options.checkpoint_every_steps, 0,
            int64_t{9'000'000'000'000'000});
  flags.Int("--blas-threads", &blas_threads, 1, 1024);
  auto positional = flags.Parse(argc, argv);
  if (!positional.ok()) return Fail(rank, positional.status().message() + "\n" + kUsage);
  if (!positional->empty()) {
    return Fail(rank, "unexpected argument \"" + positional->front() + "\"\n" + kUsage);
  }
  if (flags.help()) {
    if (rank == 0) std::cout << kUsage;
    MPI_Finalize();
    return 0;
  }
  if (gang_size < 1 || size % gang_size != 0) {
    return Fail(rank, "--gang-size must divide the number of ranks (" + std::to_string(size) +
                          "), found " + std::to_string(gang_size));
  }
  SetBlasThreads(blas_threads);
  // Each rank's device from its local rank (worker/rank_device.h).
  auto device = hpsweep::worker::ChooseRankDevice(MPI_COMM_WORLD, device_name);
  if (!device.ok()) {
    std::cerr << "hpsweep-worker: rank " << rank << ": " << device.status().message() << "\n";
    const int code = device.status().code() == hpsweep::StatusCode::kInvalidArgument ? 2 : 1;
    MPI_Abort(MPI_COMM_WORLD, code);
    return code;
  }
  options.device = device->device;

  auto connection = hpsweep::proto::ResolveConnection(url, token, data_dir, token_file);
  if (!connection.ok()) return Fail(rank, connection.status().message());

  const int color = rank / gang_size;
  hpsweep::worker::MpiCollectivesOptions comm_options;
  comm_options.color = color;
  auto comm = hpsweep::worker::MpiCollectives::Create(MPI_COMM_WORLD, comm_options);
  if (!comm.ok()) return Fail(rank, comm.status().ToString());
  hpsweep::SetLogPrefix("rank " + std::to_string(rank));
  HPS_LOG(INFO) << "training on " << device->describe;
  // CUDA tensors (the gradient buckets) over NCCL, the rest over MPI.
  hpsweep::worker::Collectives* gang_comm = comm->get();
  std::unique_ptr<hpsweep::worker::Collectives> nccl;
  std::unique_ptr<hpsweep::worker::RoutedCollectives> routed;
  if (options.device.is_cuda()) {
#ifdef HPSWEEP_HAVE_NCCL
    auto created = hpsweep::worker::NcclCollectives::Create(comm->get(), options.device.index());
    if (!created.ok()) return Fail(rank, "NCCL: " + created.status().ToString(), 1);
    nccl = std::move(*created);
    routed = std::make_unique<hpsweep::worker::RoutedCollectives>(comm->get(), nccl.get());
    gang_comm = routed.get();
#else
    if ((*comm)->size() > 1) {
      return Fail(rank, "training on CUDA in gangs of more than one rank needs NCCL: build with "
                        "--config=cuda, or pass --device cpu");
    }
#endif
  }

  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  options.client_id = hpsweep::worker::DefaultClientId(host, getpid(), color, std::getenv);
  std::unique_ptr<hpsweep::worker::CoordinatorClient> client;
  if ((*comm)->rank() == 0) {
    auto created = hpsweep::worker::HttpCoordinatorClient::Create(*connection);
    if (!created.ok()) return Fail(rank, created.status().message());
    client = std::move(*created);
  }
  if ((*comm)->rank() == 0) {
    HPS_LOG(INFO) << "gang " << color << ": " << (*comm)->size() << " rank(s) of " << size
                  << ", client id " << options.client_id;
  }
  hpsweep::Status valid = options.Validate();
  if (!valid.ok()) return Fail(rank, valid.message());

  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  hpsweep::worker::Gang gang(gang_comm, std::move(client), options);
  std::thread watcher([&gang] {
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gang.RequestStop();
  });
  hpsweep::Status status = gang.Run();
  g_stop.store(true);
  watcher.join();
  if (!status.ok()) {
    if ((*comm)->rank() == 0) HPS_LOG(ERROR) << "gang stopped: " << status;
    return Fail(rank, "fatal: " + status.ToString(), 1);
  }
  const auto& stats = gang.stats();
  if ((*comm)->rank() == 0) {
    HPS_LOG(INFO) << "gang done: " << stats.trials_completed << " completed, "
                  << stats.trials_failed << " failed, " << stats.trials_stopped << " stopped, "
                  << stats.trials_resumed << " resumed";
  }
  routed.reset();
  nccl.reset();
  comm->reset();
  MPI_Finalize();
  return 0;
}
