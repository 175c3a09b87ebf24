// The commands that change or follow a sweep (write_commands.h).
#include "tools/cli/write_commands.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "common/logging.h"
#include "coordinator/coordinator.h"
#include "proto/api_client.h"
#include "proto/sweep_file.h"
#include "tools/cli/progress.h"
#include "tools/cli/results.h"
#include "tools/cli/run_command.h"
#include "tools/cli/slurm.h"
#include "tools/cli/trial_format.h"

namespace hpsweep::cli {
namespace {

// The sweep's leased and running trials (the first 1000 of each).
StatusOr<std::vector<proto::Trial>> LiveTrials(proto::CoordinatorClient& client, uint64_t id) {
  std::vector<proto::Trial> live;
  for (const char* state : {"leased", "running"}) {
    HPS_ASSIGN_OR_RETURN(proto::TrialPage page, client.ListTrials(id, "", 1000, state));
    live.insert(live.end(), page.trials.begin(), page.trials.end());
  }
  return live;
}

int Watch(proto::CoordinatorClient& client, uint64_t id, double interval, std::ostream& out,
          std::ostream& err) {
  ProgressDisplay display(out, &out == &std::cout && isatty(STDOUT_FILENO), 24);
  const auto start = std::chrono::steady_clock::now();
  int64_t finished_at_start = -1;
  std::string workers_shown;
  while (true) {
    auto sweep = client.GetSweep(id);
    if (!sweep.ok()) {
      display.Finish();
      return Fail(err, sweep.status());
    }
    if (finished_at_start < 0) finished_at_start = FinishedTrials(*sweep);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    display.Show(*sweep, ProgressTiming{elapsed, finished_at_start, std::nullopt});
    // Which gangs (and Slurm jobs) hold its trials, when that changes.
    auto live = LiveTrials(client, id);
    std::string workers = live.ok() ? LiveWorkersText(*live) : workers_shown;
    if (workers != workers_shown && !workers.empty()) {
      display.Finish();
      out << "workers:\n" << workers;
    }
    workers_shown = workers;
    if (proto::IsTerminal(sweep->state)) {
      display.Finish();
      PrintStatus(*sweep, out);
      if (sweep->state == proto::SweepState::kCompleted && sweep->counters.completed > 0) return 0;
      return sweep->state == proto::SweepState::kCancelled ? 1 : 3;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(interval * 1000)));
  }
}

}  // namespace

StatusOr<proto::Json> ReadSubmitSpec(const std::string& path, const CliContext& context) {
  auto file = proto::ReadSweepFile(path);
  if (!file.ok()) return file.status().WithContext(path);
  const proto::SweepSpec& checked = file->spec;
  if (context.program_validator && !checked.program.external) {
    // Pre-flight: what the coordinator checks, here, before anything starts.
    Status valid = context.program_validator(checked);
    if (!valid.ok()) return valid.WithContext(path);
  }
  if (context.preflight && !checked.program.external && !checked.program.IsCommand()) {
    std::error_code ec;
    const auto sweep_path = std::filesystem::absolute(path, ec);
    Status ready = context.preflight(checked, sweep_path.parent_path().string());
    if (!ready.ok()) return ready.WithContext(path);
  }
  return std::move(file->json);
}

int RunWrite(const std::string& cmd, const Args& a, const CliContext& context,
             const proto::Json& spec, uint64_t id, std::ostream& out, std::ostream& err) {
  // `retry` on a data directory no coordinator holds: a coordinator of our
  // own on it for the one call (it writes; the read-only store cannot).
  std::unique_ptr<coordinator::Coordinator> embedded;
  const char* url_env = std::getenv("HPSWEEP_URL");
  if (cmd == "retry" && a.url.empty() && (url_env == nullptr || *url_env == '\0') &&
      !DataDir(a).empty() && !StoreLockHeld(DataDir(a))) {
    coordinator::CoordinatorOptions copts;
    copts.data_dir = DataDir(a);
    copts.http.port = 0;
    SetMinLogLevel(LogLevel::kWarning);
    embedded = std::make_unique<coordinator::Coordinator>(copts);
    Status started = embedded->Start();
    if (!started.ok()) return Fail(err, started);
  }
  auto connection = embedded ? StatusOr<proto::Connection>(
                                   proto::Connection{embedded->url(), embedded->token()})
                             : proto::ResolveConnection(a.url, a.token, a.data_dir, a.token_file);
  if (!connection.ok()) return Fail(err, connection.status());
  auto client_or = proto::CoordinatorClient::Create(*connection);
  if (!client_or.ok()) return Fail(err, client_or.status());
  proto::CoordinatorClient& client = **client_or;

  if (cmd == "submit" && a.slurm.enabled) {
    SlurmSubmitContext slurm;
    if (a.positional.size() >= 2) slurm.sweep_file = a.positional[1];
    slurm.spec = spec;
    slurm.worker_binary = FindWorkerBinary(a.worker_binary, context.argv0);
    slurm.url = connection->url;
    slurm.token = connection->token;
    slurm.token_file = a.token_file;
    if (a.token.empty() && slurm.token_file.empty() && !std::getenv("HPSWEEP_TOKEN")) {
      if (const char* f = std::getenv("HPSWEEP_TOKEN_FILE"); f && *f) slurm.token_file = f;
    }
    return RunSlurmSubmit(a.slurm, slurm, client, out, err);
  }
  if (cmd == "submit") {
    auto sweep = client.CreateSweep(spec);
    if (!sweep.ok()) return Fail(err, sweep.status());
    out << "created sweep " << sweep->id << " \"" << sweep->spec.name << "\" ("
        << sweep->spec.max_trials << " trials, method " << proto::MethodName(sweep->spec.method)
        << ")\n";
    return 0;
  }
  if (cmd == "retry") {
    auto sweep = client.RetrySweep(id);
    if (embedded) embedded->Stop();
    if (!sweep.ok()) return Fail(err, sweep.status());
    out << "sweep " << sweep->id << " is " << proto::SweepStateName(sweep->state) << ": "
        << sweep->counters.pending << " trial(s) pending\n";
    return 0;
  }
  if (cmd == "cancel") {
    auto sweep = client.CancelSweep(id);
    if (!sweep.ok()) return Fail(err, sweep.status());
    out << "sweep " << sweep->id << " is " << proto::SweepStateName(sweep->state) << "\n";
    return 0;
  }
  // watch
  return Watch(client, id, std::max(0.05, a.interval), out, err);
}

}  // namespace hpsweep::cli
