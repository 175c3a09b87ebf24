#include "tools/cli/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "common/subprocess.h"
#include "coordinator/coordinator.h"
#include "proto/api_client.h"
#include "proto/sweep_file.h"
#include "tools/cli/commands.h"
#include "tools/cli/progress.h"
#include "tools/cli/report.h"

namespace hpsweep::cli {
namespace {

namespace fs = std::filesystem;
using proto::Json;

std::atomic<int> g_interrupts{0};
void OnInterrupt(int) { g_interrupts.fetch_add(1); }

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string SafeName(const std::string& name) {
  std::string out;
  for (char c : name) out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_');
  return out.empty() ? "sweep" : out;
}

// The worker binary: the flag, $HPSWEEP_WORKER, Bazel runfiles of this
// program, or the bazel-bin layout next to it.
std::string FindWorker(const RunOptions& options, const std::string& argv0) {
  return FindWorkerBinary(options.worker_binary, argv0);
}

}  // namespace

std::string FindWorkerBinary(const std::string& flag, const std::string& argv0) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("HPSWEEP_WORKER")) return env;
  std::error_code ec;
  const fs::path self = fs::canonical("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  for (const fs::path& base : {fs::path(argv0), self}) {
    candidates.push_back(fs::path(base.string() + ".runfiles") / "hpsweep/worker/hpsweep-worker");
    candidates.push_back(base.parent_path().parent_path().parent_path() / "worker/hpsweep-worker");
  }
  for (const fs::path& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c.string();
  }
  return "hpsweep-worker";
}

std::string CommandToRerun(const std::string& argv0, const std::string& path,
                           const std::string& self) {
  if (argv0.empty() || argv0.find('/') == std::string::npos) return "hpsweep";
  std::error_code ec;
  const fs::path me = fs::weakly_canonical(self, ec);
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    const fs::path dir = end > begin ? fs::path(path.substr(begin, end - begin)) : fs::path(".");
    const fs::path found = fs::weakly_canonical(dir / "hpsweep", ec);
    if (!ec && !me.empty() && found == me) return "hpsweep";
    begin = end + 1;
  }
  const bool plain = std::all_of(argv0.begin(), argv0.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._-+", c) != nullptr;
  });
  if (plain) return argv0;
  std::string quoted = "'";
  for (char c : argv0) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

namespace {

// One `hpsweep run`, as the steps RunSweep takes in order. A step that
// returns an exit status ends the run with it; nullopt goes on.
class SweepRun {
 public:
  SweepRun(const RunOptions& options, const std::string& argv0, std::ostream& out,
           std::ostream& err)
      : options_(options), argv0_(argv0), out_(out), err_(err) {}

  // 1. The sweep file, checked before anything starts.
  std::optional<int> ReadSweepFile();
  // 2. mpirun and the worker binary are there.
  std::optional<int> FindTools();
  // 3. The embedded coordinator on the data directory.
  std::optional<int> StartCoordinator();
  // 4. The sweep of the same name, resumed, or a new one.
  std::optional<int> ResumeOrCreateSweep();
  // 5. The worker jobs (none when the sweep has already ended).
  std::optional<int> StartWorkers();
  // 6. Progress until the sweep ends, every worker exits, or Ctrl-C; true
  // when interrupted.
  bool FollowProgress();
  // 7. Stops the workers (they checkpoint at their next epoch end) and the
  // coordinator; prints the best trials and where the results are. Returns
  // the exit status.
  int StopAndReport(bool interrupted);

 private:
  const RunOptions& options_;
  const std::string& argv0_;
  std::ostream& out_;
  std::ostream& err_;

  Json json_;  // the sweep file as read
  proto::SweepSpec spec_;
  int ranks_ = 0;
  std::string worker_;
  std::string data_dir_;
  std::unique_ptr<coordinator::Coordinator> embedded_;
  std::unique_ptr<proto::CoordinatorClient> client_;
  uint64_t sweep_id_ = 0;
  proto::Sweep sweep_;  // the latest state read
  int64_t finished_at_start_ = 0;
  std::vector<std::unique_ptr<Subprocess>> jobs_;
};

std::optional<int> SweepRun::ReadSweepFile() {
  // JSON, or YAML for .yaml/.yml (proto/sweep_file.h).
  auto file = proto::ReadSweepFile(options_.sweep_file);
  if (!file.ok()) {
    err_ << "hpsweep run: " << options_.sweep_file << ": " << file.status().message();
    if (!file.status().field().empty()) err_ << " (at " << file.status().field() << ")";
    err_ << "\n";
    return 1;
  }
  const proto::SweepSpec* spec = &file->spec;
  if (spec->program.external) {
    err_ << "hpsweep run: sweep \"" << spec->name << "\" has an external program; run its "
         << "ask/tell clients against `hpsweep-coordinator` instead (see README)\n";
    return 1;
  }
  // Pre-flight, before anything starts: the zoo's name and value checks, then
  // one build of the model (files, metric). Errors name the field.
  auto preflight_error = [&](const Status& s) {
    err_ << "hpsweep run: " << options_.sweep_file << ": " << s.message();
    if (!s.field().empty()) err_ << " (at " << s.field() << ")";
    err_ << "\n";
    return 1;
  };
  if (options_.validator) {
    Status valid = options_.validator(*spec);
    if (!valid.ok()) return preflight_error(valid);
  }
  // A command program is the user's own script: nothing of the zoo to build.
  if (options_.preflight && !spec->program.IsCommand()) {
    std::error_code ec;
    const fs::path sweep_path = fs::absolute(fs::path(options_.sweep_file), ec);
    Status ready = options_.preflight(*spec, sweep_path.parent_path().string());
    if (!ready.ok()) return preflight_error(ready);
  }
  json_ = std::move(file->json);
  spec_ = std::move(file->spec);
  ranks_ = options_.ranks_per_worker > 0 ? options_.ranks_per_worker
                                         : static_cast<int>(spec_.ranks_per_trial);
  if (options_.workers < 1 || ranks_ < 1) {
    err_ << "hpsweep run: --workers and --ranks-per-worker must be >= 1\n";
    return 2;
  }
  if (ranks_ != spec_.ranks_per_trial) {
    // The coordinator leases a trial only to a gang of its ranks_per_trial.
    err_ << "hpsweep run: --ranks-per-worker " << ranks_ << " differs from the sweep's "
         << "resources.ranks_per_trial (" << spec_.ranks_per_trial
         << "); its trials go only to gangs of that many ranks\n";
    return 2;
  }
  return std::nullopt;
}

std::optional<int> SweepRun::FindTools() {
  if (!OnPath("mpirun")) {
    err_ << "hpsweep run: mpirun not found. Install Open MPI (apt-get install openmpi-bin "
            "libopenmpi-dev, or run tools/setup.sh)\n";
    return 1;
  }
  worker_ = FindWorker(options_, argv0_);
  const bool found = worker_.find('/') != std::string::npos ? access(worker_.c_str(), X_OK) == 0
                                                              : OnPath(worker_);
  if (!found) {
    err_ << "hpsweep run: worker binary " << worker_ << " not found; build it (bazel build "
            "//worker:hpsweep-worker) or set HPSWEEP_WORKER\n";
    return 1;
  }
  return std::nullopt;
}

std::optional<int> SweepRun::StartCoordinator() {
  data_dir_ = options_.data_dir;
  if (data_dir_.empty()) {
    std::error_code ec;
    const fs::path here = fs::current_path(ec);
    if (ec) {
      err_ << "hpsweep run: cannot find the working directory (" << ec.message()
           << "); pass --data-dir\n";
      return 1;
    }
    data_dir_ = (here / SafeName(spec_.name)).string();
  }
  coordinator::CoordinatorOptions copts;
  copts.data_dir = data_dir_;
  copts.http.port = static_cast<uint16_t>(options_.port);
  copts.validator = options_.validator;  // searchers: the built-in ones
  SetMinLogLevel(LogLevel::kWarning);  // the progress display is the output
  embedded_ = std::make_unique<coordinator::Coordinator>(copts);
  Status started = embedded_->Start();
  if (!started.ok()) {
    err_ << "hpsweep run: " << started.message() << "\n";
    if (started.code() == StatusCode::kAborted) {  // the data directory's lock is held
      err_ << "  another hpsweep is using " << data_dir_
           << "; stop it, or pass another --data-dir\n";
    }
    return 1;
  }
  auto client = proto::CoordinatorClient::Create({embedded_->url(), embedded_->token()});
  if (!client.ok()) {
    err_ << "hpsweep run: " << client.status().message() << "\n";
    return 1;
  }
  client_ = std::move(*client);
  return std::nullopt;
}

std::optional<int> SweepRun::ResumeOrCreateSweep() {
  auto sweeps = client_->ListSweeps();
  if (!sweeps.ok()) {
    err_ << "hpsweep run: " << sweeps.status().message() << "\n";
    return 1;
  }
  const proto::SweepSpec* stored = nullptr;
  for (const auto& s : *sweeps) {
    if (s.spec.name == spec_.name) {
      sweep_id_ = s.id;
      stored = &s.spec;
    }
  }
  if (stored != nullptr) {
    // The coordinator fills in a grid's size; compare the rest as submitted.
    proto::SweepSpec edited = spec_;
    if (edited.max_trials == 0) edited.max_trials = stored->max_trials;
    const Json now = proto::ToJson(edited), then = proto::ToJson(*stored);
    if (now != then) {
      std::string fields;
      for (auto it = now.begin(); it != now.end(); ++it) {
        if (!then.contains(it.key()) || then[it.key()] != it.value()) {
          fields += (fields.empty() ? "" : ", ") + it.key();
        }
      }
      if (options_.if_changed.empty()) {
        err_ << "hpsweep run: " << options_.sweep_file << " differs from sweep " << sweep_id_
             << " \"" << spec_.name << "\" stored in " << data_dir_ << " (" << fields
             << "); decide with --if-changed resume (continue the stored sweep unchanged) or "
                "--if-changed new (start a new sweep from the file in the same data directory)\n";
        return 1;
      }
      if (options_.if_changed == "new") stored = nullptr;
    }
  }
  if (stored != nullptr) {
    out_ << "resuming sweep " << sweep_id_ << " \"" << spec_.name << "\" from " << data_dir_
         << "\n";
  } else {
    auto created = client_->CreateSweep(json_);
    if (!created.ok()) {
      err_ << "hpsweep run: " << options_.sweep_file << ": " << created.status().message();
      if (!created.status().field().empty()) err_ << " (at " << created.status().field() << ")";
      err_ << "\n";
      return 1;
    }
    sweep_id_ = created->id;
    out_ << "sweep " << sweep_id_ << " \"" << spec_.name << "\": " << created->spec.max_trials
         << " trials, method " << proto::MethodName(spec_.method) << ", " << options_.workers
         << " worker(s) x " << ranks_ << " rank(s); data in " << data_dir_ << "\n";
  }
  out_ << "dashboard: " << embedded_->url() << "/#/sweeps/" << sweep_id_ << "\n";
  auto initial = client_->GetSweep(sweep_id_);
  if (!initial.ok()) {
    err_ << "hpsweep run: " << initial.status().message() << "\n";
    return 1;
  }
  sweep_ = std::move(*initial);
  finished_at_start_ = FinishedTrials(sweep_);
  return std::nullopt;
}

std::optional<int> SweepRun::StartWorkers() {
  if (proto::IsTerminal(sweep_.state)) return std::nullopt;
  // Relative paths in the sweep (TorchScript modules, data files) are
  // relative to the sweep file.
  std::error_code ec;
  const fs::path sweep_file = fs::absolute(fs::path(options_.sweep_file), ec);
  if (ec) {
    err_ << "hpsweep run: cannot resolve " << options_.sweep_file << ": " << ec.message() << "\n";
    return 1;
  }
  const std::string base_dir = sweep_file.parent_path().string();
  const fs::path logs = fs::path(data_dir_) / "logs";
  fs::create_directories(logs, ec);
  if (ec) {
    err_ << "hpsweep run: cannot create " << logs.string() << ": " << ec.message() << "\n";
    return 1;
  }
  // `hpsweep checkpoint get` resolves relative module paths against it.
  std::ofstream(fs::path(data_dir_) / "base_dir") << base_dir << "\n";
  for (int w = 0; w < options_.workers; ++w) {
    auto job = std::make_unique<Subprocess>();
    const std::string log = (logs / ("worker-" + std::to_string(w) + ".log")).string();
    // The token travels in the environment, never on a command line (ps).
    Status s = job->Start({"mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                           "-np", std::to_string(ranks_), "-x", "OPENBLAS_NUM_THREADS", "-x",
                           "OMP_NUM_THREADS", "-x", "HPSWEEP_TOKEN", worker_, "--coordinator",
                           embedded_->url(), "--sweep", std::to_string(sweep_id_),
                           // Outlive a lease orphaned by a killed earlier run (60 s).
                           "--idle-wait", "90", "--base-dir", base_dir},
                          log,
                          {"OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1",
                           "HPSWEEP_TOKEN=" + embedded_->token()});
    if (!s.ok()) {
      err_ << "hpsweep run: cannot start a worker job: " << s.message() << "\n";
      return 1;
    }
    jobs_.push_back(std::move(job));
  }
  return std::nullopt;
}

bool SweepRun::FollowProgress() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  ProgressDisplay display(out_, &out_ == &std::cout && isatty(STDOUT_FILENO), 24);
  const auto start = std::chrono::steady_clock::now();
  bool interrupted = false;
  while (true) {
    auto now = client_->GetSweep(sweep_id_);
    if (now.ok()) sweep_ = std::move(*now);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    display.Show(sweep_, ProgressTiming{elapsed, finished_at_start_, std::nullopt});
    if (proto::IsTerminal(sweep_.state)) break;
    if (g_interrupts.load() > 0) {
      interrupted = true;
      break;
    }
    const bool any_running = std::any_of(jobs_.begin(), jobs_.end(),
                                         [](auto& job) { return job->Wait(0) == -1; });
    if (!any_running) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(options_.refresh_seconds));
  }
  display.Finish();
  return interrupted;
}

int SweepRun::StopAndReport(bool interrupted) {
  if (interrupted) out_ << "interrupted: stopping workers (Ctrl-C again to stop at once)...\n";
  for (auto& job : jobs_) {
    if (job->running()) job->Signal(SIGTERM);
  }
  for (auto& job : jobs_) {
    while (job->running() && job->Wait(0.2) == -1) {
      if (g_interrupts.load() > 1) job->Kill(SIGKILL);
    }
  }
  auto trials = client_->AllTrials(sweep_id_);
  auto final_sweep = client_->GetSweep(sweep_id_);
  if (final_sweep.ok()) sweep_ = std::move(*final_sweep);
  embedded_->Stop();
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);

  if (trials.ok()) {
    const auto best = BestTrials(*trials, sweep_.spec, 5);
    if (!best.empty()) {
      out_ << "\nbest trials (" << sweep_.spec.metric.name << ", "
           << proto::GoalName(sweep_.spec.metric.goal) << "):\n"
           << TrialsTable(best);
    }
    const std::string pruned = PrunedSummary(*trials);
    if (!pruned.empty()) out_ << "\n" << pruned;
    const std::string failures = FailureSummary(*trials);
    if (!failures.empty()) out_ << "\n" << failures;
  }
  const auto& c = sweep_.counters;
  const std::string counts = std::to_string(c.completed) + " completed, " +
                             std::to_string(c.failed) + " failed, " + std::to_string(c.pruned) +
                             " pruned, " + std::to_string(c.running + c.pending) + " unfinished";
  const bool ended = proto::IsTerminal(sweep_.state);
  out_ << "\nsweep " << sweep_id_ << " ";
  if (ended) {
    out_ << "is " << proto::SweepStateName(sweep_.state) << ": " << counts << "\n";
  } else {
    out_ << "stopped" << (interrupted ? " (interrupted)" : " (every worker exited)")
         << " before it ended: " << counts << "\n";
  }
  if (!sweep_.reason.empty()) out_ << "reason: " << sweep_.reason << "\n";
  out_ << "results and checkpoints: " << data_dir_ << " (worker logs in " << data_dir_
       << "/logs)\n";
  const char* path = std::getenv("PATH");
  const std::string cli = CommandToRerun(argv0_, path ? path : "", "/proc/self/exe");
  if (!ended) {
    out_ << "run the same command again to resume: " << cli << " run " << options_.sweep_file
         << (options_.data_dir.empty() ? "" : " --data-dir " + options_.data_dir) << "\n";
  }
  out_ << "look at them (no coordinator needed):\n"
       << "  " << cli << " trials " << sweep_id_ << " --data-dir " << data_dir_ << "\n"
       << "  " << cli << " export " << sweep_id_ << " --format csv --data-dir " << data_dir_
       << "\n"
       << "  " << cli << " checkpoint get TRIAL -o model.pt --data-dir " << data_dir_ << "\n";
  if (interrupted && !ended) return 130;
  if (sweep_.state == proto::SweepState::kCompleted && c.completed > 0) return 0;
  if (sweep_.state == proto::SweepState::kFailed || (ended && c.completed == 0)) {
    err_ << "hpsweep run: sweep " << sweep_id_ << " "
         << (sweep_.state == proto::SweepState::kFailed ? "was stopped by fail-fast"
                                                          : "ended with no completed trial")
         << "\n";
    return 3;
  }
  return 1;
}

}  // namespace

int RunSweep(const RunOptions& options, const std::string& argv0, std::ostream& out,
             std::ostream& err) {
  SweepRun run(options, argv0, out, err);
  for (auto step : {&SweepRun::ReadSweepFile, &SweepRun::FindTools, &SweepRun::StartCoordinator,
                    &SweepRun::ResumeOrCreateSweep, &SweepRun::StartWorkers}) {
    if (std::optional<int> exit_status = (run.*step)()) return *exit_status;
  }
  const bool interrupted = run.FollowProgress();
  return run.StopAndReport(interrupted);
}

}  // namespace hpsweep::cli
