// gpu_train_bench: samples/s of hpsweep's trainer on a zoo model, on one
// device (CUDA when present, else CPU), for tools/gpu/run_gpu_checks.sh,
// which runs tools/gpu/ddp_bench.py (PyTorch DDP, NCCL) on the same models.
//
//   gpu_train_bench --model mlp|lstm_freq|transformer_cls [--steps N]
//                   [--warmup N] [--precision fp32|bf16] [--device cpu|cuda]
//
// One process, world size 1: on CUDA the gang is RoutedCollectives(host,
// NcclCollectives) as in hpsweep-worker, so the trainer takes the same path.
// Prints "model=<m> device=<d> precision=<p> samples_per_s=<x> step_ms=<y>"
// over the timed steps (after `--warmup` untimed ones; the device is
// synchronised at both ends).
#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "models/workload.h"
#include "worker/autocast.h"
#include "worker/routed_collectives.h"
#include "worker/solo_collectives.h"
#include "worker/trainer.h"
#ifdef HPSWEEP_HAVE_NCCL
#include "worker/nccl_collectives.h"
#endif

namespace hpsweep::worker {
namespace {

struct Args {
  std::string model = "mlp";
  int64_t steps = 200;
  int64_t warmup = 20;
  std::string precision = "fp32";
  std::string device;
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") a->model = v;
    else if (k == "--steps") a->steps = std::atoll(v.c_str());
    else if (k == "--warmup") a->warmup = std::atoll(v.c_str());
    else if (k == "--precision") a->precision = v;
    else if (k == "--device") a->device = v;
    else return false;
  }
  return (argc % 2 == 1) && a->steps > 0 && a->warmup >= 0 &&
         (a->device.empty() || a->device == "cpu" || a->device == "cuda");
}

// The ddp_bench.py twin of each model: the zoo's defaults, which are the
// shapes of shared/anchors/ddp_baseline.py for mlp and lstm_freq.
nlohmann::json Params(int64_t epochs) {
  return {{"epochs", epochs}};
}

int Main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) {
    std::fprintf(stderr, "usage: gpu_train_bench --model M [--steps N] [--warmup N] "
                         "[--precision fp32|bf16] [--device cpu|cuda]\n");
    return 2;
  }
  auto precision = ParsePrecision(args.precision);
  if (!precision.ok()) {
    std::fprintf(stderr, "%s\n", precision.status().ToString().c_str());
    return 2;
  }
  const bool cuda = args.device == "cuda" || (args.device.empty() && torch::cuda::is_available());
  if (cuda && !torch::cuda::is_available()) {
    std::fprintf(stderr, "--device cuda, but LibTorch sees no CUDA device\n");
    return 1;
  }
  torch::set_num_threads(1);
  SoloCollectives host;
  Collectives* comm = &host;
  std::unique_ptr<Collectives> nccl;
  std::unique_ptr<RoutedCollectives> routed;
#ifdef HPSWEEP_HAVE_NCCL
  if (cuda) {
    auto created = NcclCollectives::Create(&host, 0);
    if (!created.ok()) {
      std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
      return 1;
    }
    nccl = std::move(*created);
    routed = std::make_unique<RoutedCollectives>(&host, nccl.get());
    comm = routed.get();
  }
#endif
  models::WorkloadContext ctx;
  ctx.device = cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  const int64_t total = args.warmup + args.steps;
  auto probe = models::CreateWorkload(args.model, Params(1), ctx);
  if (!probe.ok()) {
    std::fprintf(stderr, "%s\n", probe.status().ToString().c_str());
    return 1;
  }
  const int64_t per_epoch = (*probe)->TrainSize() / (*probe)->BatchSize();
  const int64_t batch = (*probe)->BatchSize();
  probe->reset();
  auto workload =
      models::CreateWorkload(args.model, Params(total / std::max<int64_t>(per_epoch, 1) + 2), ctx);
  if (!workload.ok()) {
    std::fprintf(stderr, "%s\n", workload.status().ToString().c_str());
    return 1;
  }
  TrainerOptions to;
  to.max_steps = total;
  to.evaluate = false;
  to.checkpoint_at_epoch_end = false;
  to.precision = *precision;
  std::chrono::steady_clock::time_point t0;
  double seconds = 0;
  auto sync = [&] {
    if (cuda) torch::cuda::synchronize();
  };
  TrainerCallbacks cb;
  cb.on_step = [&](const TrainState& s) {
    if (s.global_step == args.warmup) {
      sync();
      t0 = std::chrono::steady_clock::now();
    } else if (s.global_step == total) {
      sync();
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  };
  auto r = Trainer(comm, to).Run(**workload, "", cb);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf("model=%s device=%s precision=%s nccl=%d batch=%lld step_ms=%.3f samples_per_s=%.1f\n",
              args.model.c_str(), ctx.device.str().c_str(), args.precision.c_str(), nccl ? 1 : 0,
              static_cast<long long>(batch), seconds * 1e3 / static_cast<double>(args.steps),
              static_cast<double>(batch * args.steps) / seconds);
  return 0;
}

}  // namespace
}  // namespace hpsweep::worker

int main(int argc, char** argv) { return hpsweep::worker::Main(argc, argv); }
