// dashboard_fill: fills a coordinator data directory with one external
// (ask/tell) sweep of N trials of S reports each, for dashboard_bench.sh,
// which then starts the real hpsweep-coordinator on the directory.
//
//   dashboard_fill --data-dir DIR --trials N --steps S
//
// Why not over HTTP: 10,000 trials x 100 steps are a million synced report
// calls, most of an hour on the project's shared 2-core machines. Why this
// is still the product's data: every record is decided by the coordinator's
// own SweepService (sweep_service.h) — CreateSweep, Ask, Report, Complete and
// Fail, as the HTTP routes call them — and committed to the coordinator's own
// RocksDB store in the order it was produced, as the group committer does.
// The only differences are that no HTTP request is parsed and that the
// WriteSets of many calls share one commit (one fsync) instead of a few.
// SweepService::Recover then rebuilds the same state from the directory, as
// it does after any coordinator restart.
//
// Trial i (0-based): i % 20 == 0 fails after S/2 reports, i % 20 == 1 is left
// running (leased for an hour) after S/2 reports, every other trial completes
// after S reports. Reported loss: (log10(lr) + 6) / sqrt(step) + (i % 7) / 100
// (the same mix as dashboard_bench.js's HTTP fill). Prints one JSON line:
// {"trials", "steps", "reports", "seconds"}. Exit 1 on any error, naming it.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/status.h"
#include "coordinator/searcher_factory.h"
#include "coordinator/store/rocks_store.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_service.h"
#include "proto/messages.h"

namespace hpsweep {
namespace {

using coordinator::Mutation;
using coordinator::WriteSet;
using proto::Json;

struct FillOptions {
  // The coordinator's data directory. Default: none (required).
  std::string data_dir;
  // Trials in the sweep. Default: 1000.
  int64_t trials = 1000;
  // Reports per completed trial. Default: 100.
  int64_t steps = 100;
  Status Validate() const {
    if (data_dir.empty()) return InvalidArgumentError("--data-dir is required", "--data-dir");
    if (trials < 1 || trials > 1000000) {
      return InvalidArgumentError("--trials must be 1..1000000", "--trials");
    }
    if (steps < 2 || steps > 100000) return InvalidArgumentError("--steps must be 2..100000", "--steps");
    return Status::Ok();
  }
};

// Collects WriteSets in the order they were produced and commits them in
// batches of about `batch_points` metric points (one fsync each).
class Batcher {
 public:
  Batcher(coordinator::Store* store, size_t batch_points)
      : store_(store), batch_points_(batch_points) {}
  template <typename T>
  StatusOr<T> Take(StatusOr<Mutation<T>> m) {
    if (!m.ok()) return m.status();
    pending_.Append(std::move(m->writes));
    if (pending_.metrics.size() >= batch_points_) HPS_RETURN_IF_ERROR(Flush());
    return std::move(m->response);
  }
  Status Flush() {
    if (pending_.empty()) return Status::Ok();
    Status s = store_->Commit(pending_);
    pending_ = WriteSet();
    return s;
  }

 private:
  coordinator::Store* store_;
  size_t batch_points_;
  WriteSet pending_;
};

Status Fill(const FillOptions& o) {
  HPS_ASSIGN_OR_RETURN(std::unique_ptr<coordinator::Store> store,
                       coordinator::OpenRocksStore(coordinator::StoreDirIn(o.data_dir)));
  RealClock clock;
  coordinator::SweepService service(&clock, coordinator::SweepServiceOptions(), nullptr,
                                    coordinator::DefaultSearcherFactory());
  HPS_RETURN_IF_ERROR(service.Recover(*store));
  Batcher batch(store.get(), 50000);
  const Json spec = {
      {"name", "bench-" + std::to_string(o.trials)},
      {"method", "random"},
      {"max_trials", o.trials},
      {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
      {"parameters",
       {{"lr", {{"distribution", "log_uniform"}, {"min", 1e-5}, {"max", 1}}},
        {"layers", {{"distribution", "int_uniform"}, {"min", 1}, {"max", 8}}},
        {"optimizer", {{"values", {"sgd", "adam", "rmsprop"}}}},
        {"dropout", {{"min", 0}, {"max", 0.7}}}}},
      {"program", {{"external", true}}},
  };
  HPS_ASSIGN_OR_RETURN(proto::Sweep sweep, batch.Take(service.CreateSweep(spec)));
  for (int64_t i = 0; i < o.trials; ++i) {
    proto::AskRequest ask;
    ask.client_id = "fill-" + std::to_string(i);
    ask.sweep_id = sweep.id;
    ask.lease_seconds = 3600;
    std::optional<StatusOr<Mutation<proto::AskResponse>>> answer;
    service.Ask(ask, [&](StatusOr<Mutation<proto::AskResponse>> m) { answer = std::move(m); });
    if (!answer) return InternalError("the ask for trial " + std::to_string(i) + " was parked");
    HPS_ASSIGN_OR_RETURN(proto::AskResponse asked, batch.Take(std::move(*answer)));
    if (asked.trials.empty()) return InternalError("no trial for ask " + std::to_string(i));
    const proto::Trial& trial = asked.trials[0].trial;
    const int kind = static_cast<int>(i % 20);  // 0: fails, 1: left running
    const int64_t last = kind <= 1 ? (o.steps + 1) / 2 : o.steps;
    const double scale = std::log10(trial.params.at("lr").get<double>()) + 6;
    const double offset = static_cast<double>(i % 7) * 0.01;
    for (int64_t s = 1; s <= last; ++s) {
      proto::ReportRequest report;
      report.client_id = ask.client_id;
      report.step = s;
      report.values["loss"] = scale / std::sqrt(static_cast<double>(s)) + offset;
      HPS_RETURN_IF_ERROR(batch.Take(service.Report(trial.id, report)).status());
    }
    if (kind == 0) {
      proto::FailRequest fail;
      fail.client_id = ask.client_id;
      fail.error = "benchmark failure";
      HPS_RETURN_IF_ERROR(batch.Take(service.Fail(trial.id, fail)).status());
    } else if (kind != 1) {
      proto::CompleteRequest complete;
      complete.client_id = ask.client_id;
      complete.values["loss"] = scale / std::sqrt(static_cast<double>(o.steps));
      HPS_RETURN_IF_ERROR(batch.Take(service.Complete(trial.id, complete)).status());
    }
  }
  return batch.Flush();
}

int Main(int argc, char** argv) {
  FillOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "dashboard_fill: " << flag << " needs a value\n";
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--data-dir") o.data_dir = value;
    else if (flag == "--trials") o.trials = std::atoll(value.c_str());
    else if (flag == "--steps") o.steps = std::atoll(value.c_str());
    else {
      std::cerr << "dashboard_fill: unknown flag " << flag
                << "\nusage: dashboard_fill --data-dir DIR --trials N --steps S\n";
      return 2;
    }
  }
  if (Status s = o.Validate(); !s.ok()) {
    std::cerr << "dashboard_fill: " << s << "\n";
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = Fill(o); !s.ok()) {
    std::cerr << "dashboard_fill: " << s << "\n";
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t failed_or_running = (o.trials + 19) / 20 + (o.trials + 18) / 20;
  const int64_t reports = (o.trials - failed_or_running) * o.steps +
                          failed_or_running * ((o.steps + 1) / 2);
  std::cout << Json{{"trials", o.trials}, {"steps", o.steps}, {"reports", reports},
                    {"seconds", seconds}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace
}  // namespace hpsweep

int main(int argc, char** argv) { return hpsweep::Main(argc, argv); }
