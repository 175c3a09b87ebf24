// bo_bench: regret of hpsweep's suggesters on Branin and Hartmann6, and GP
// suggestion latency. Prints one line per (function, batch, method) and, last,
// one JSON object with every figure. tools/bench/bo_bench.sh runs it next to
// Optuna's baseline. Not a test: nothing here asserts.
//
// Usage: bo_bench [--evals 50] [--seeds 10] [--batches 1,4]
//                 [--methods random,sobol,tpe,bayes] [--timing_reps 7]
//                 [--regret 1] [--timing 1]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/allocator.h"
#include "coordinator/search/bo/acquisition.h"
#include "coordinator/search/bo/gp.h"
#include "coordinator/search/bo/gp_suggester.h"
#include "coordinator/search/bo/sobol.h"
#include "coordinator/search/bo/test_functions.h"
#include "coordinator/search/bo/tpe.h"

namespace hpsweep::coordinator::bo {
namespace {

struct Flags {
  int evals = 50;
  int seeds = 10;
  std::vector<int> batches = {1, 4};
  std::vector<std::string> methods = {"random", "sobol", "tpe", "bayes"};
  int timing_reps = 7;
  bool regret = true;  // --regret 0 skips the regret runs
  bool timing = true;  // --timing 0 skips the latency runs
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

using Asker = std::function<StatusOr<std::vector<std::vector<double>>>(const Problem&, int)>;

// Ask `batch`, evaluate, tell `batch`, until `evals`; returns simple regret.
double RunOnce(const TestFunction& f, const Asker& ask, int evals, int batch) {
  Problem p;
  p.dims.assign(f.dims, Dimension::Continuous());
  double best = INFINITY;
  while (static_cast<int>(p.completed.size()) < evals) {
    const int k = std::min(batch, evals - static_cast<int>(p.completed.size()));
    auto xs = ask(p, k);
    if (!xs.ok()) {
      std::fprintf(stderr, "suggest failed: %s\n", xs.status().ToString().c_str());
      std::exit(1);
    }
    for (const auto& x : *xs) {
      const double y = f.eval(x);
      best = std::min(best, y);
      p.completed.push_back({x, y, {}});
    }
  }
  return best - f.minimum;
}

Asker MakeAsker(const std::string& method, uint64_t seed, int dims) {
  if (method == "random") {
    auto rng = std::make_shared<Rng>(MixSeed(seed, 0xAB));
    return [rng, dims](const Problem&, int k) -> StatusOr<std::vector<std::vector<double>>> {
      std::vector<std::vector<double>> out(k, std::vector<double>(dims));
      for (auto& x : out) {
        for (double& v : x) v = rng->Uniform();
      }
      return out;
    };
  }
  if (method == "sobol") {
    auto seq = std::make_shared<SobolSequence>(dims, seed);
    return [seq](const Problem&, int k) -> StatusOr<std::vector<std::vector<double>>> {
      std::vector<std::vector<double>> out;
      for (int i = 0; i < k; ++i) out.push_back(seq->Next());
      return out;
    };
  }
  if (method == "tpe") {
    auto tpe = std::make_shared<TpeSuggester>(TpeOptions{});
    return [tpe, seed](const Problem& p, int k) { return tpe->Suggest(p, k, seed); };
  }
  auto gp = std::make_shared<GpSuggester>(GpOptions{});
  return [gp, seed](const Problem& p, int k) { return gp->Suggest(p, k, seed); };
}

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

// Median milliseconds (wall clock) of one GP suggestion with n random
// Hartmann6 points; *cpu_ms gets the median CPU time of this thread, which a
// machine shared with other work inflates less.
double GpLatencyMs(int n, int reps, const GpOptions& options, double* cpu_ms = nullptr) {
  const TestFunction& f = TestFunctions()[1];
  GpSuggester gp{options};
  std::vector<double> ms, cpu;
  for (int r = 0; r < reps; ++r) {
    Rng rng(1000 + r);
    Problem p;
    p.dims.assign(f.dims, Dimension::Continuous());
    for (int i = 0; i < n; ++i) {
      std::vector<double> x(f.dims);
      for (double& v : x) v = rng.Uniform();
      p.completed.push_back({x, f.eval(x), {}});
    }
    const double c0 = ThreadCpuMs();
    const auto t0 = std::chrono::steady_clock::now();
    auto xs = gp.Suggest(p, 1, r);
    const auto t1 = std::chrono::steady_clock::now();
    cpu.push_back(ThreadCpuMs() - c0);
    if (!xs.ok()) {
      std::fprintf(stderr, "suggest failed: %s\n", xs.status().ToString().c_str());
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  if (cpu_ms != nullptr) *cpu_ms = Median(cpu);
  return Median(ms);
}

// Timed phases of a GP suggestion with n random Hartmann6 points.
void Profile(int n) {
  const TestFunction& f = TestFunctions()[1];
  Rng rng(7);
  Problem p;
  p.dims.assign(f.dims, Dimension::Continuous());
  std::vector<double> flat, ys;
  for (int i = 0; i < n; ++i) {
    std::vector<double> x(f.dims);
    for (double& v : x) v = rng.Uniform();
    flat.insert(flat.end(), x.begin(), x.end());
    ys.push_back(f.eval(x));
    p.completed.push_back({x, ys.back(), {}});
  }
  const auto x = torch::tensor(flat, torch::kFloat64).view({n, f.dims});
  auto y = torch::tensor(ys, torch::kFloat64);
  y = (y - y.mean()) / y.std();
  auto timed = [](const std::function<void()>& fn) {
    std::vector<double> cpu;
    for (int r = 0; r < 3; ++r) {
      const double c0 = ThreadCpuMs();
      fn();
      cpu.push_back(ThreadCpuMs() - c0);
    }
    return Median(cpu);
  };
  const GpOptions options;
  const auto fit_x = x.narrow(0, 0, std::min<int64_t>(n, options.fit.max_fit_points));
  const auto fit_y = y.narrow(0, 0, fit_x.size(0));
  GpHyperparameters hp;
  const double full = timed([&] { hp = *FitGpHyperparameters(fit_x, fit_y, options.fit, 1); });
  GpFitOptions warm = options.fit;
  warm.restarts = 1;
  warm.max_iterations = options.warm_iterations;
  const double refit = timed([&] { (void)FitGpHyperparameters(fit_x, fit_y, warm, 2, &hp); });
  std::optional<GpModel> model;
  const double create = timed([&] { model.emplace(*GpModel::Create(x, y, hp)); });
  Rng crng(3);
  std::vector<double> cand;
  for (int i = 0; i < (options.raw_samples + options.local_samples) * f.dims; ++i) cand.push_back(crng.Uniform());
  const auto c = torch::tensor(cand, torch::kFloat64).view({-1, f.dims});
  const double screen = timed([&] {
    torch::NoGradGuard no_grad;
    const auto [m, v] = model->Posterior(c);
    (void)LogExpectedImprovement(m, v, -1.0);
  });
  GpSuggester gp{options};
  (void)gp.Suggest(p, 1, 1);  // fits and caches the checkpoint
  const double suggest = timed([&] { (void)gp.Suggest(p, 1, 1); });
  std::printf("cpu ms n=%d checkpoint_fit=%.1f warm_refit=%.1f create=%.1f screen=%.1f suggest_warm=%.1f\n", n,
              full, refit, create, screen, suggest);
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--evals") {
      flags.evals = std::stoi(v);
    } else if (k == "--seeds") {
      flags.seeds = std::stoi(v);
    } else if (k == "--batches") {
      flags.batches.clear();
      for (const auto& b : Split(v)) flags.batches.push_back(std::stoi(b));
    } else if (k == "--methods") {
      flags.methods = Split(v);
    } else if (k == "--regret") {
      flags.regret = v != "0";
    } else if (k == "--timing") {
      flags.timing = v != "0";
    } else if (k == "--timing_reps") {
      flags.timing_reps = std::stoi(v);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  torch::set_num_threads(1);
  (void)TuneAllocatorForTensors();  // as the coordinator does
  if (std::getenv("BO_BENCH_PROFILE") != nullptr) {
    // Where a steady-state suggestion's time goes (CPU ms of this thread):
    // the checkpoint fit, the warm refit, conditioning, the raw LogEI
    // screen, and a whole Suggest whose checkpoint is cached.
    for (int n : {100, 500, 1000}) Profile(n);
    return 0;
  }
  std::ostringstream json;
  json.precision(6);
  json << "{";
  bool first = true;
  for (const TestFunction& f : TestFunctions()) {
    if (!flags.regret) break;
    for (int batch : flags.batches) {
      for (const std::string& m : flags.methods) {
        std::vector<double> regrets;
        const auto t0 = std::chrono::steady_clock::now();
        for (int s = 0; s < flags.seeds; ++s) regrets.push_back(RunOnce(f, MakeAsker(m, s, f.dims), flags.evals, batch));
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double med = Median(regrets);
        const double mean = std::accumulate(regrets.begin(), regrets.end(), 0.0) / regrets.size();
        std::printf("%-10s batch=%d %-7s median_regret=%.4g mean_regret=%.4g ms/trial=%.2f\n", f.name.c_str(), batch,
                    m.c_str(), med, mean, 1000 * sec / (flags.seeds * flags.evals));
        std::fflush(stdout);
        json << (first ? "" : ", ") << "\"" << f.name << "/batch" << batch << "/" << m << "\": {\"median_regret\": "
             << med << ", \"mean_regret\": " << mean << "}";
        first = false;
      }
    }
  }
  for (int n : {100, 500}) {
    if (!flags.timing) break;
    double cpu = 0;
    const double ms = GpLatencyMs(n, flags.timing_reps, GpOptions{}, &cpu);
    std::printf("gp_suggest n=%d p50_ms=%.1f (cpu p50_ms=%.1f)\n", n, ms, cpu);
    std::fflush(stdout);
    json << (first ? "" : ", ") << "\"gp_suggest_p50_ms/n" << n << "\": " << ms << ", \"gp_suggest_cpu_p50_ms/n" << n << "\": " << cpu;
    first = false;
  }
  json << "}";
  std::printf("%s\n", json.str().c_str());
  return 0;
}

}  // namespace
}  // namespace hpsweep::coordinator::bo

int main(int argc, char** argv) { return hpsweep::coordinator::bo::Main(argc, argv); }
