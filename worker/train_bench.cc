// train_bench: samples/s of hpsweep's data-parallel trainer on the workloads
// of shared/anchors/ddp_baseline.py (same shapes, per-rank batches and
// optimizers), on the zoo's `ctgan` (two networks, two optimizers:
// samples are table rows, 500 per rank per step, as tools/bench/ctgan_ddp.py
// runs it) and on the zoo's `fno1d` (Burgers, grid 64, modes 12, width 32,
// 4 layers, 20 pairs per rank, Adam 1e-3, as tools/bench/fno1d_ddp.py runs
// it). Run under mpirun; tools/bench/train_bench.sh runs every
// configuration and the Python baselines in one invocation.
//
//   mpirun -np 2 train_bench --model mlp|lstm_freq|ctgan|fno1d --steps 200
//       [--progress thread|nonblocking]
//
// Rank 0 prints "model=<m> world=<W> params=<P> ... samples_per_s=<x>" after
// `--warmup` untimed steps (timing starts and ends with a barrier, like the
// baseline); P counts the workload's parameters (every group).
#include <mpi.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "common/allocator.h"
#include "common/logging.h"
#include "models/workload.h"
#include "worker/mpi_collectives.h"
#include "worker/synthetic_workloads.h"
#include "worker/trainer.h"

namespace hpsweep::worker {
namespace {

struct Args {
  std::string model = "mlp";
  int64_t steps = 200;
  int64_t warmup = 20;
  std::string progress = "thread";
  int64_t bucket_mb = 25;
  double first_bucket_mb = 1;
  bool shm = true;
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") a->model = v;
    else if (k == "--steps") a->steps = std::atoll(v.c_str());
    else if (k == "--warmup") a->warmup = std::atoll(v.c_str());
    else if (k == "--progress") a->progress = v;
    else if (k == "--bucket_mb") a->bucket_mb = std::atoll(v.c_str());
    else if (k == "--first_bucket_mb") a->first_bucket_mb = std::atof(v.c_str());
    else if (k == "--shm") a->shm = v == "1" || v == "true";
    else return false;
  }
  return (a->model == "mlp" || a->model == "lstm_freq" || a->model == "ctgan" ||
          a->model == "fno1d") &&
         (a->progress == "thread" || a->progress == "nonblocking") && a->steps > 0 && a->warmup >= 0;
}

int Main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: train_bench --model mlp|lstm_freq|ctgan|fno1d [--steps N] [--warmup N] "
                 "[--progress thread|nonblocking] [--shm 0|1] [--bucket_mb N] [--first_bucket_mb X]\n");
    return 2;
  }
  torch::set_num_threads(1);
  MpiCollectivesOptions mo;
  mo.progress = args.progress == "thread" ? MpiCollectivesOptions::Progress::kThread
                                          : MpiCollectivesOptions::Progress::kNonBlocking;
  mo.shared_memory = args.shm;
  auto comm = MpiCollectives::Create(MPI_COMM_WORLD, mo);
  if (!comm.ok()) {
    HPS_LOG(ERROR) << comm.status();
    return 1;
  }
  const int world = (*comm)->size();

  const int64_t total = args.warmup + args.steps;
  // Samples per step over the gang (rows for ctgan, whose workload samples
  // are packs of 10 rows).
  int64_t samples_per_step = 0;
  StatusOr<std::unique_ptr<models::Workload>> workload = InternalError("no workload");
  if (args.model == "ctgan") {
    const int64_t rows = 500 * world;  // CTGAN's batch per rank
    models::WorkloadContext ctx;
    workload = models::CreateWorkload(
        "ctgan", {{"batch_size", rows}, {"train_size", rows * 4}, {"epochs", total / 4 + 2}}, ctx);
    samples_per_step = rows;
  } else if (args.model == "fno1d") {
    const int64_t pairs = 20 * world;  // a batch size the fno1d sweeps try
    models::WorkloadContext ctx;
    workload = models::CreateWorkload("fno1d",
                                      {{"batch_size", pairs},
                                       {"train_size", pairs * 4},
                                       {"val_size", 16},
                                       {"optimizer", "adam"},
                                       {"lr", 1e-3},
                                       {"epochs", total / 4 + 2}},
                                      ctx);
    samples_per_step = pairs;
  } else {
    SyntheticWorkloadOptions wo;
    const int64_t per_rank = args.model == "mlp" ? 128 : 32;
    wo.kind = args.model == "mlp" ? SyntheticWorkloadOptions::Kind::kMlp
                                  : SyntheticWorkloadOptions::Kind::kLstmFreq;
    wo.batch_size = per_rank * world;
    // A small fixed random set, like the baseline's one fixed batch per rank.
    wo.train_size = wo.batch_size * 4;
    wo.val_size = per_rank;
    wo.epochs = total / 4 + 2;
    workload = MakeSyntheticWorkload(wo);
    samples_per_step = wo.batch_size;
  }
  if (!workload.ok()) {
    HPS_LOG(ERROR) << workload.status();
    return 1;
  }

  TrainerOptions to;
  to.max_steps = total;
  to.evaluate = false;
  to.checkpoint_at_epoch_end = false;
  to.reducer.bucket_bytes = args.bucket_mb << 20;
  to.reducer.first_bucket_bytes = static_cast<int64_t>(args.first_bucket_mb * (1 << 20));
  std::chrono::steady_clock::time_point t0;
  double seconds = 0;
  TrainerCallbacks cb;
  cb.on_step = [&](const TrainState& s) {
    if (s.global_step == args.warmup) {
      MPI_Barrier(MPI_COMM_WORLD);
      t0 = std::chrono::steady_clock::now();
    } else if (s.global_step == total) {
      MPI_Barrier(MPI_COMM_WORLD);
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  };
  Trainer trainer(comm->get(), to);
  StatusOr<TrainResult> r = trainer.Run(**workload, "", cb);
  if (!r.ok()) {
    HPS_LOG(ERROR) << r.status();
    return 1;
  }
  if ((*comm)->rank() == 0) {
    // The parameter count, which train_bench.sh compares with the Python
    // anchor's to check that both run the same architecture.
    int64_t params = 0;
    for (const torch::Tensor& p : (*workload)->Parameters()) params += p.numel();
    const ReducerStats& st = r->reducer_stats;
    std::printf(
        "model=%s world=%d params=%lld step_ms=%.2f finish_ms=%.2f buckets_in_backward=%lld "
        "buckets_at_finish=%lld samples_per_s=%.1f\n",
        args.model.c_str(), world, static_cast<long long>(params),
        seconds * 1e3 / static_cast<double>(args.steps),
        st.steps ? st.finish_micros / 1e3 / static_cast<double>(st.steps) : 0.0,
        static_cast<long long>(st.buckets_started_in_backward),
        static_cast<long long>(st.buckets_started_at_finish),
        static_cast<double>(samples_per_step * args.steps) / seconds);
  }
  return 0;
}

}  // namespace
}  // namespace hpsweep::worker

int main(int argc, char** argv) {
  // As hpsweep-worker does (worker/main.cc): without it every step pays page
  // faults on the buffers LibTorch frees and reallocates.
  (void)hpsweep::TuneAllocatorForTensors();
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rc = hpsweep::worker::Main(argc, argv);
  MPI_Finalize();
  return rc;
}
