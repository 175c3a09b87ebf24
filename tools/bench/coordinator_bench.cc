// coordinator_bench: drives ask -> 3 metric reports -> complete over HTTP with
// N concurrent clients against a real hpsweep-coordinator (every acknowledged
// write synced), and prints trials/s and client-side p50/p99 request latency
// for N = 1, 4, 16; then fills the store to --fill trials and measures again,
// to show the per-request cost does not grow with the number of stored trials.
//
//   coordinator_bench --coordinator PATH [--seconds 5] [--fill 100000]
//
// The last line of output is one JSON object with every figure.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include "proto/api_client.h"
#include "common/subprocess.h"
#include "tests/coordinator_process.h"

namespace hpsweep {
namespace {

using Clock = std::chrono::steady_clock;
using proto::Json;

struct Figures {
  double trials_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t trials = 0;
  double ask_p50_ms = 0;  // the lease path alone
  double ask_p99_ms = 0;
};

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

// Each client loops ask -> report x3 -> complete on `sweep` for `seconds`.
Figures RunLoop(const proto::Connection& conn, uint64_t sweep, int clients, double seconds) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> trials{0};
  std::vector<std::vector<double>> latencies(clients), ask_latencies(clients);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto client = std::move(proto::CoordinatorClient::Create(conn).value());
      const std::string id = "bench-" + std::to_string(c) + "-" + std::to_string(clients);
      auto timed = [&](auto&& fn) {
        const auto t0 = Clock::now();
        auto r = fn();
        latencies[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!r.ok()) {
          std::cerr << "request failed: " << r.status() << "\n";
          std::exit(1);
        }
      };
      while (!stop.load(std::memory_order_relaxed)) {
        proto::AskRequest ask;
        ask.client_id = id;
        ask.sweep_id = sweep;
        StatusOr<proto::AskResponse> leased = proto::AskResponse();
        timed([&] { return leased = client->Ask(ask); });
        ask_latencies[c].push_back(latencies[c].back());
        if (leased->trials.empty()) continue;
        const proto::Trial& t = leased->trials[0].trial;
        const double x = t.params["x"].get<double>();
        for (int step = 0; step < 3; ++step) {
          timed([&] { return client->Report(t.id, {id, step, {{"loss", x + 1.0 / (step + 1)}}}); });
        }
        timed([&] { return client->Complete(t.id, {id, {{"loss", x}}}); });
        trials.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all, asks;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  for (auto& v : ask_latencies) asks.insert(asks.end(), v.begin(), v.end());
  Figures f;
  f.trials = trials.load();
  f.trials_per_s = static_cast<double>(f.trials) / elapsed;
  f.p50_ms = Percentile(all, 0.50);
  f.p99_ms = Percentile(all, 0.99);
  f.ask_p50_ms = Percentile(asks, 0.50);
  f.ask_p99_ms = Percentile(asks, 0.99);
  return f;
}

// Median server round trip of GET /sweeps/{id} (status read), in ms.
double StatusReadMs(const proto::Connection& conn, uint64_t sweep) {
  auto client = std::move(proto::CoordinatorClient::Create(conn).value());
  std::vector<double> v;
  for (int i = 0; i < 500; ++i) {
    const auto t0 = Clock::now();
    if (!client->GetSweep(sweep).ok()) std::exit(1);
    v.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return Percentile(v, 0.5);
}

Json ToJson(const Figures& f) {
  return {{"trials_per_s", f.trials_per_s}, {"p50_ms", f.p50_ms}, {"p99_ms", f.p99_ms},
          {"trials", f.trials},          {"ask_p50_ms", f.ask_p50_ms}, {"ask_p99_ms", f.ask_p99_ms}};
}

int Main(int argc, char** argv) {
  std::string coordinator_path, optuna_trials_per_s;
  double seconds = 5;
  int64_t fill = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--coordinator") coordinator_path = argv[i + 1];
    else if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (flag == "--fill") fill = std::atoll(argv[i + 1]);
    else if (flag == "--optuna-trials-per-s") optuna_trials_per_s = argv[i + 1];
  }
  if (coordinator_path.empty()) {
    std::cerr << "usage: coordinator_bench --coordinator PATH [--seconds S] [--fill N]\n";
    return 2;
  }
  const std::string dir = std::filesystem::temp_directory_path() / ("hpsweep_bench_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Subprocess coordinator;
  const auto started = StartCoordinator(coordinator, coordinator_path, dir, dir + "/log");
  if (!started.ok()) {
    std::cerr << started.status().message() << "\n";
    return 1;
  }
  const proto::Connection conn = *started;
  auto admin = std::move(proto::CoordinatorClient::Create(conn).value());
  const Json spec = {{"name", "bench"},
                     {"metric", {{"name", "loss"}}},
                     {"method", "random"},
                     {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
                     {"max_trials", 100000000},
                     {"program", {{"external", true}}}};
  const uint64_t sweep = admin->CreateSweep(spec)->id;

  Json out = Json::object();
  std::printf("%-34s %10s %9s %9s\n", "hpsweep (synced writes)", "trials/s", "p50 ms", "p99 ms");
  for (int clients : {1, 4, 16}) {
    RunLoop(conn, sweep, clients, 0.5);  // warm-up
    Figures f = RunLoop(conn, sweep, clients, seconds);
    std::printf("%-34s %10.0f %9.3f %9.3f\n", ("clients=" + std::to_string(clients)).c_str(),
                f.trials_per_s, f.p50_ms, f.p99_ms);
    out["clients_" + std::to_string(clients)] = ToJson(f);
  }
  const int64_t before = admin->GetSweep(sweep)->counters.created;
  const double status_small = StatusReadMs(conn, sweep);
  // Fill to `fill` stored trials, then measure the same loop again.
  while (admin->GetSweep(sweep)->counters.created < fill) RunLoop(conn, sweep, 16, 2.0);
  const int64_t after = admin->GetSweep(sweep)->counters.created;
  const double status_large = StatusReadMs(conn, sweep);
  Figures large = RunLoop(conn, sweep, 16, seconds);
  std::printf("%-34s %10.0f %9.3f %9.3f\n",
              ("clients=16 at " + std::to_string(after) + " trials").c_str(), large.trials_per_s,
              large.p50_ms, large.p99_ms);
  std::printf("status read p50: %.3f ms at %lld trials, %.3f ms at %lld trials\n", status_small,
              static_cast<long long>(before), status_large, static_cast<long long>(after));
  out["clients_16_large_store"] = ToJson(large);

  // The lease path of a Bayesian-optimization sweep: each ask waits (without
  // blocking the coordinator) for a fit that has seen every result before it;
  // fallbacks are a defect at default settings.
  Json bayes_spec = spec;
  bayes_spec["name"] = "bench-bayes";
  bayes_spec["method"] = "bayes";
  bayes_spec["max_trials"] = 400;
  bayes_spec["parameters"] = {{"x", {{"min", 0.0}, {"max", 1.0}}},
                              {"y", {{"distribution", "log_uniform"}, {"min", 1e-3}, {"max", 1.0}}}};
  const uint64_t bayes = admin->CreateSweep(bayes_spec)->id;
  Figures bo = RunLoop(conn, bayes, 4, seconds);
  const std::string metrics = admin->MetricsText().value_or("");
  auto counter = [&](const std::string& name) -> double {
    const size_t at = metrics.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::atof(metrics.c_str() + at + name.size() + 2);
  };
  const double fallback = counter("hpsweep_suggestions_fallback_total");
  const double computed = counter("hpsweep_suggestions_computed_total");
  const double stale = counter("hpsweep_suggestions_stale_total");
  std::printf("bayes sweep, 4 clients: %.0f trials/s, ask p50 %.3f ms p99 %.3f ms; suggestions "
              "computed %.0f (stale, dropped: %.0f), quasi-random fallbacks %.0f\n",
              bo.trials_per_s, bo.ask_p50_ms, bo.ask_p99_ms, computed, stale, fallback);
  out["bayes_4_clients"] = ToJson(bo);
  out["bayes_suggestions_computed"] = computed;
  out["bayes_suggestions_fallback"] = fallback;
  out["bayes_suggestions_stale"] = stale;
  out["stored_trials_small"] = before;
  out["stored_trials_large"] = after;
  out["status_read_p50_ms_small"] = status_small;
  out["status_read_p50_ms_large"] = status_large;
  coordinator.Kill(SIGTERM);
  std::filesystem::remove_all(dir);
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace
}  // namespace hpsweep

int main(int argc, char** argv) { return hpsweep::Main(argc, argv); }
