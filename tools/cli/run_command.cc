#include "tools/cli/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/logging.h"
#include "common/subprocess.h"
#include "coordinator/coordinator.h"
#include "coordinator/searcher_factory.h"
#include "proto/api_client.h"
#include "tools/cli/commands.h"

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
  if (!options.worker_binary.empty()) return options.worker_binary;
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

std::string FormatSeconds(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  const int64_t t = static_cast<int64_t>(s + 0.5);
  std::ostringstream o;
  if (t >= 3600) o << t / 3600 << ":" << std::setw(2) << std::setfill('0') << (t / 60) % 60;
  else o << t / 60;
  o << ":" << std::setw(2) << std::setfill('0') << t % 60;
  return o.str();
}

std::string Progress(const proto::Sweep& s, double elapsed, int64_t done_at_start, bool tty) {
  const auto& c = s.counters;
  const int64_t total = std::max<int64_t>(1, s.spec.max_trials);
  const int64_t finished = c.completed + c.failed + c.pruned + c.cancelled;
  const int64_t new_done = finished - done_at_start;
  const double eta = new_done > 0 ? elapsed / new_done * (total - finished) : NAN;
  std::ostringstream line;
  if (tty) {
    const int width = 24;
    const int filled = static_cast<int>(std::min<int64_t>(width, finished * width / total));
    line << "[" << std::string(filled, '#') << std::string(width - filled, '.') << "] ";
  }
  line << finished << "/" << s.spec.max_trials << " done, " << c.running << " running, "
       << c.failed << " failed, " << c.pruned << " pruned";
  if (s.best_value) {
    line << " | best " << s.spec.metric.name << " " << std::setprecision(5) << *s.best_value;
  }
  line << " | " << FormatSeconds(elapsed) << " elapsed, ETA " << FormatSeconds(eta);
  return line.str();
}

// The top `n` completed trials, best first.
std::vector<proto::Trial> BestTrials(std::vector<proto::Trial> trials, const proto::SweepSpec& spec,
                                     size_t n) {
  trials.erase(std::remove_if(trials.begin(), trials.end(),
                              [](const proto::Trial& t) {
                                return t.state != proto::TrialState::kCompleted || !t.objective;
                              }),
               trials.end());
  const bool maximize = spec.metric.goal == proto::Goal::kMaximize;
  std::stable_sort(trials.begin(), trials.end(), [&](const proto::Trial& a, const proto::Trial& b) {
    return maximize ? *a.objective > *b.objective : *a.objective < *b.objective;
  });
  if (trials.size() > n) trials.resize(n);
  return trials;
}

}  // namespace

int RunSweep(const RunOptions& options, const std::string& argv0, std::ostream& out,
             std::ostream& err) {
  // 1. The sweep file, checked before anything starts.
  std::ifstream in(options.sweep_file);
  if (!in) {
    err << "hpsweep run: cannot read sweep file " << options.sweep_file << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto json = proto::ParseJsonText(text.str());
  if (!json.ok()) {
    err << "hpsweep run: " << options.sweep_file << ": " << json.status().message() << "\n";
    return 1;
  }
  auto spec = proto::ParseSweepSpec(*json);
  if (!spec.ok()) {
    err << "hpsweep run: " << options.sweep_file << ": " << spec.status().message() << " (at "
        << spec.status().field() << ")\n";
    return 1;
  }
  if (spec->program.external) {
    err << "hpsweep run: sweep \"" << spec->name << "\" has an external program; run its "
        << "ask/tell clients against `hpsweep-coordinator` instead (see README)\n";
    return 1;
  }
  const int ranks = options.ranks_per_worker > 0 ? options.ranks_per_worker
                                                 : static_cast<int>(spec->ranks_per_trial);
  if (options.workers < 1 || ranks < 1) {
    err << "hpsweep run: --workers and --ranks-per-worker must be >= 1\n";
    return 2;
  }
  if (!OnPath("mpirun")) {
    err << "hpsweep run: mpirun not found. Install Open MPI (apt-get install openmpi-bin "
           "libopenmpi-dev, or run tools/setup.sh)\n";
    return 1;
  }
  const std::string worker = FindWorker(options, argv0);
  if (worker.find('/') != std::string::npos ? access(worker.c_str(), X_OK) != 0 : !OnPath(worker)) {
    err << "hpsweep run: worker binary " << worker << " not found; build it (bazel build "
           "//worker:hpsweep-worker) or set HPSWEEP_WORKER\n";
    return 1;
  }

  // 2. The embedded coordinator.
  const std::string data_dir =
      options.data_dir.empty() ? (fs::current_path() / SafeName(spec->name)).string() : options.data_dir;
  coordinator::CoordinatorOptions copts;
  copts.data_dir = data_dir;
  copts.http.port = 0;
  copts.searcher_factory = coordinator::DefaultSearcherFactory();
  copts.validator = coordinator::DefaultProgramValidator();
  SetMinLogLevel(LogLevel::kWarning);  // the progress display is the output
  coordinator::Coordinator embedded(copts);
  Status started = embedded.Start();
  if (!started.ok()) {
    err << "hpsweep run: " << started.message() << "\n";
    if (started.message().find("locked") != std::string::npos) {
      err << "  another hpsweep is using " << data_dir << "; stop it, or pass another --data-dir\n";
    }
    return 1;
  }
  auto client_or = proto::CoordinatorClient::Create({embedded.url(), embedded.token()});
  if (!client_or.ok()) {
    err << "hpsweep run: " << client_or.status().message() << "\n";
    return 1;
  }
  proto::CoordinatorClient& client = **client_or;

  // 3. Resume the sweep of the same name, or create it.
  uint64_t sweep_id = 0;
  auto sweeps = client.ListSweeps();
  if (!sweeps.ok()) {
    err << "hpsweep run: " << sweeps.status().message() << "\n";
    return 1;
  }
  const proto::SweepSpec* stored = nullptr;
  for (const auto& s : *sweeps) {
    if (s.spec.name == spec->name) {
      sweep_id = s.id;
      stored = &s.spec;
    }
  }
  if (sweep_id != 0) {
    out << "resuming sweep " << sweep_id << " \"" << spec->name << "\" from " << data_dir << "\n";
    // The coordinator fills in a grid's size; compare the rest as submitted.
    proto::SweepSpec edited = *spec;
    if (edited.max_trials == 0) edited.max_trials = stored->max_trials;
    if (proto::ToJson(edited) != proto::ToJson(*stored)) {
      err << "hpsweep run: warning: " << options.sweep_file << " differs from sweep " << sweep_id
          << " as stored; resuming the stored sweep unchanged (use another --data-dir to start "
             "a new sweep with the edited file)\n";
    }
  } else {
    auto created = client.CreateSweep(*json);
    if (!created.ok()) {
      err << "hpsweep run: " << options.sweep_file << ": " << created.status().message();
      if (!created.status().field().empty()) err << " (at " << created.status().field() << ")";
      err << "\n";
      return 1;
    }
    sweep_id = created->id;
    out << "sweep " << sweep_id << " \"" << spec->name << "\": " << created->spec.max_trials
        << " trials, method " << proto::MethodName(spec->method) << ", " << options.workers
        << " worker(s) x " << ranks << " rank(s); data in " << data_dir << "\n";
  }
  const proto::Sweep initial = *client.GetSweep(sweep_id);
  const int64_t done_at_start = initial.counters.completed + initial.counters.failed +
                                initial.counters.pruned + initial.counters.cancelled;

  // 4. Worker jobs. Relative paths in the sweep (TorchScript modules, data
  // files) are relative to the sweep file.
  const std::string base_dir =
      fs::absolute(fs::path(options.sweep_file)).parent_path().string();
  fs::create_directories(fs::path(data_dir) / "logs");
  std::vector<std::unique_ptr<Subprocess>> jobs;
  if (!proto::IsTerminal(initial.state)) {
    for (int w = 0; w < options.workers; ++w) {
      auto job = std::make_unique<Subprocess>();
      const std::string log = (fs::path(data_dir) / "logs" / ("worker-" + std::to_string(w) + ".log")).string();
      // The token travels in the environment, never on a command line (ps).
      Status s = job->Start({"mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                             "-np", std::to_string(ranks), "-x", "OPENBLAS_NUM_THREADS", "-x",
                             "OMP_NUM_THREADS", "-x", "HPSWEEP_TOKEN", worker, "--coordinator",
                             embedded.url(), "--sweep", std::to_string(sweep_id),
                             // Outlive a lease orphaned by a killed earlier run (60 s).
                             "--idle-wait", "90", "--base-dir", base_dir},
                            log,
                            {"OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1",
                             "HPSWEEP_TOKEN=" + embedded.token()});
      if (!s.ok()) {
        err << "hpsweep run: cannot start a worker job: " << s.message() << "\n";
        return 1;
      }
      jobs.push_back(std::move(job));
    }
  }

  // 5. Progress until the sweep ends, every worker exits, or Ctrl-C.
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  const bool tty = &out == &std::cout && isatty(STDOUT_FILENO);
  const auto start = std::chrono::steady_clock::now();
  std::string last;
  proto::Sweep sweep = initial;
  bool interrupted = false;
  while (true) {
    auto now = client.GetSweep(sweep_id);
    if (now.ok()) sweep = *now;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string line = Progress(sweep, elapsed, done_at_start, tty);
    if (tty) out << "\r\033[2K" << line << std::flush;
    else if (line.substr(0, line.find(" | ")) != last.substr(0, last.find(" | "))) out << line << "\n" << std::flush;
    last = line;
    if (proto::IsTerminal(sweep.state)) break;
    if (g_interrupts.load() > 0) {
      interrupted = true;
      break;
    }
    bool any_running = false;
    for (auto& job : jobs) any_running = any_running || job->Wait(0) == -1;
    if (!any_running) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(options.refresh_seconds));
  }
  if (tty) out << "\n";

  // 6. Stop workers (they checkpoint at their next epoch end) and the coordinator.
  if (interrupted) out << "interrupted: stopping workers (Ctrl-C again to stop at once)...\n";
  for (auto& job : jobs) {
    if (job->running()) job->Signal(SIGTERM);
  }
  for (auto& job : jobs) {
    while (job->running() && job->Wait(0.2) == -1) {
      if (g_interrupts.load() > 1) job->Kill(SIGKILL);
    }
  }
  auto trials = client.AllTrials(sweep_id);
  auto final_sweep = client.GetSweep(sweep_id);
  if (final_sweep.ok()) sweep = *final_sweep;
  embedded.Stop();
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);

  // 7. Results.
  if (trials.ok()) {
    const auto best = BestTrials(*trials, sweep.spec, 5);
    if (!best.empty()) {
      out << "\nbest trials (" << sweep.spec.metric.name << ", "
          << proto::GoalName(sweep.spec.metric.goal) << "):\n"
          << TrialsTable(best);
    }
  }
  const auto& c = sweep.counters;
  out << "\nsweep " << sweep_id << " is " << proto::SweepStateName(sweep.state) << ": "
      << c.completed << " completed, " << c.failed << " failed, " << c.pruned << " pruned, "
      << c.running + c.pending << " unfinished\n"
      << "results and checkpoints: " << data_dir << " (worker logs in " << data_dir << "/logs)\n";
  if (sweep.state != proto::SweepState::kCompleted) {
    out << "run the same command again to resume: hpsweep run " << options.sweep_file
        << (options.data_dir.empty() ? "" : " --data-dir " + options.data_dir) << "\n";
  }
  out << "look at them with a coordinator on that directory:\n"
      << "  hpsweep-coordinator --data-dir " << data_dir << " &\n"
      << "  hpsweep trials " << sweep_id << " --data-dir " << data_dir << "\n"
      << "  hpsweep export " << sweep_id << " --format csv --data-dir " << data_dir << "\n";
  return sweep.state == proto::SweepState::kCompleted ? 0 : (interrupted ? 130 : 1);
}

}  // namespace hpsweep::cli
