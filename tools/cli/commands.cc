#include "tools/cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "common/flags.h"
#include "common/logging.h"
#include "coordinator/coordinator.h"
#include "coordinator/outcomes.h"
#include "proto/api_client.h"
#include "proto/sweep_file.h"
#include "tools/cli/front_table.h"
#include "tools/cli/lineage.h"
#include "tools/cli/progress.h"
#include "tools/cli/report.h"
#include "tools/cli/results.h"
#include "tools/cli/run_command.h"
#include "tools/cli/slurm.h"
#include "worker/model_export.h"

namespace hpsweep::cli {
namespace {

using proto::Json;

constexpr char kVersion[] = "hpsweep 0.9.0 (API v1)";

constexpr char kUsage[] =
    "usage: hpsweep COMMAND [ARGS] [--url URL] [--token-file PATH] [--data-dir DIR]\n"
    "commands:\n"
    "  run FILE [--workers N] [--ranks-per-worker K] [--data-dir DIR] [--port P]\n"
    "           [--if-changed resume|new] [--worker-binary PATH]\n"
    "                              run a whole sweep on this machine (see hpsweep run --help)\n"
    "  submit FILE                 create a sweep from a sweep file (JSON or YAML)\n"
    "  submit FILE --slurm [--nodes N] [--ntasks-per-node K] [--gang-size G] [--jobs J]\n"
    "         [--time T] [--partition P] [--account A] [--sbatch-arg ARG]...\n"
    "         [--signal-seconds S] [--slurm-dir DIR] [--worker-url URL] [--slurm-dry-run]\n"
    "                              ... and run its workers as a Slurm job (srun --mpi=pmix);\n"
    "                              --sweep ID instead of FILE: more workers for a sweep\n"
    "  list                        list sweeps\n"
    "  status ID                   a sweep's state, counters, best value and failures\n"
    "  trials ID [--state STATE]   list a sweep's trials (with each failure's error)\n"
    "  best ID [--top N]           the N best completed trials (default 1;\n"
    "                              multi-objective: the Pareto front)\n"
    "  metrics TRIAL [--format table|csv]\n"
    "                              a trial's curve: every reported step\n"
    "  checkpoint get TRIAL -o FILE [--step N] [--format model|raw] [--base-dir DIR]\n"
    "                              the trained model of a trial, as its framework loads it\n"
    "  logs TRIAL --data-dir DIR   the worker log lines of a trial (hpsweep run's logs/)\n"
    "  cancel ID                   cancel a sweep\n"
    "  retry ID                    requeue a sweep's failed trials and reopen it (then\n"
    "                              hpsweep run FILE again, or let workers take them)\n"
    "  watch ID [--interval S]     follow a sweep live until it ends\n"
    "  export ID [--format csv|json|metrics]\n"
    "                              every trial for analysis (default csv); metrics: every\n"
    "                              reported step, one row per (trial, step, metric)\n"
    "  --version                   print the version\n"
    "connection: --url, else $HPSWEEP_URL, else --data-dir (or $HPSWEEP_DATA_DIR): with a\n"
    "coordinator running on DIR it is asked; with none, the reading commands (list, status,\n"
    "trials, best, metrics, export, checkpoint get) open DIR's store read-only. Token:\n"
    "--token-file PATH, else $HPSWEEP_TOKEN, else $HPSWEEP_TOKEN_FILE, else the data dir's\n"
    "token file (--token T works too, but shows the token to other users in ps)\n"
    "exit status: 0 done; 1 failed (an error, or the sweep failed or has no completed\n"
    "trial); 2 usage error; 3 (run, watch) the sweep ended without a completed trial or\n"
    "was stopped by fail-fast; 130 (run) interrupted\n";

constexpr char kRunUsage[] =
    "usage: hpsweep run FILE [flags]\n"
    "Runs a whole sweep on this machine: an embedded coordinator (RocksDB in the data\n"
    "directory), local `mpirun` worker jobs, live progress, the best trials and the\n"
    "failures grouped by reason at the end. Running it again on the same data directory\n"
    "resumes the sweep.\n"
    "  --workers N            worker jobs to start (default 2)\n"
    "  --ranks-per-worker K   MPI ranks per worker job (default: the sweep's\n"
    "                         resources.ranks_per_trial)\n"
    "  --data-dir DIR         where results, checkpoints and logs go (default ./<sweep name>)\n"
    "  --port P               the embedded coordinator's port on 127.0.0.1 (default: a free\n"
    "                         one), so `hpsweep watch/trials --url` can follow from elsewhere\n"
    "  --if-changed resume|new  when FILE differs from the sweep stored under its name:\n"
    "                         resume the stored sweep unchanged, or start a new sweep in the\n"
    "                         same data directory (without it, run stops and asks)\n"
    "  --worker-binary PATH   the hpsweep-worker to launch (default: next to this program,\n"
    "                         then $HPSWEEP_WORKER, then PATH)\n"
    "exit status: 0 the sweep completed with at least one completed trial; 1 an error\n"
    "(bad sweep file, a check before training failed, cannot start); 2 usage error; 3 the\n"
    "sweep ended with no completed trial or was stopped by fail-fast\n"
    "(max_consecutive_failures); 130 interrupted (Ctrl-C; run again to resume)\n";

// Every flag of every command; a command ignores the ones it has no use for.
struct Args {
  std::vector<std::string> positional;
  std::string url, token, token_file, data_dir, state, format, worker_binary;
  // `checkpoint get`: the output file and the base of relative module paths.
  std::string output, base_dir;
  // `run`: what to do when the file differs from the stored sweep.
  std::string if_changed;
  // Seconds between `watch` updates. Default: 1.
  double interval = 1.0;
  // `run`: 0 means the command's default.
  int workers = 0, ranks_per_worker = 0, port = 0;
  // `submit --slurm`.
  SlurmOptions slurm;
  // `best`: how many trials. Default: 1.
  int top = 1;
  // `checkpoint get`: -1 means the latest.
  int64_t step = -1;
  bool version = false;
};

// Parses `raw` into `args`; false (usage printed to `err`) on a bad command
// line. `help` is set for --help/-h.
bool ParseArgs(const std::vector<std::string>& raw, Args* args, bool* help, std::ostream& err) {
  std::vector<std::string> rest = raw;
  if (Status s = TakeSlurmFlags(&rest, &args->slurm); !s.ok()) {
    err << "hpsweep: " << s.message() << "\n" << kUsage;
    return false;
  }
  Flags flags;
  DeclareSlurmFlags(&flags, &args->slurm);
  flags.String("--url", &args->url);
  flags.String("--token", &args->token);
  flags.String("--token-file", &args->token_file);
  flags.String("--data-dir", &args->data_dir);
  flags.String("--state", &args->state);
  flags.String("--format", &args->format);
  flags.String("--worker-binary", &args->worker_binary);
  flags.Double("--interval", &args->interval, 0, 86400);
  flags.Int("--workers", &args->workers, 1, 1024);
  flags.Int("--ranks-per-worker", &args->ranks_per_worker, 1, 1 << 20);
  flags.Int("--port", &args->port, 1, 65535);
  flags.Int("--top", &args->top, 1, 1000000);
  flags.Int("--step", &args->step, 0, INT64_MAX);
  flags.String("--output", &args->output);
  flags.String("-o", &args->output);
  flags.String("--base-dir", &args->base_dir);
  flags.String("--if-changed", &args->if_changed);
  const size_t before = rest.size();
  rest.erase(std::remove(rest.begin(), rest.end(), std::string("--version")), rest.end());
  args->version = rest.size() != before;
  auto positional = flags.Parse(rest);
  if (!positional.ok()) {
    err << "hpsweep: " << positional.status().message() << "\n" << kUsage;
    return false;
  }
  args->positional = std::move(*positional);
  *help = flags.help();
  return true;
}

// The first line of a file without trailing blanks; "" when unreadable.
std::string ReadFirstLine(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

std::string FormatValue(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    std::ostringstream s;
    s << std::setprecision(6) << v.get<double>();
    return s.str();
  }
  return v.dump();
}

std::string FormatNumber(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out += c;
  }
  return out + "\"";
}

// The positional argument at `index` as an id ("a sweep id", "a trial id").
StatusOr<uint64_t> IdArg(const Args& a, size_t index, const std::string& what,
                         std::ostream& err) {
  if (a.positional.size() <= index) {
    err << "hpsweep: " << a.positional[0] << " needs " << what << "\n";
    return InvalidArgumentError("missing " + what);
  }
  auto id = Flags::ParseInt(what, a.positional[index], 1, INT64_MAX);
  if (!id.ok()) {
    err << "hpsweep: " << id.status().message() << "\n";
    return id.status();
  }
  return static_cast<uint64_t>(*id);
}

void PrintStatus(const proto::Sweep& s, std::ostream& out) {
  out << "sweep " << s.id << " \"" << s.spec.name << "\"  " << proto::SweepStateName(s.state)
      << "  method=" << proto::MethodName(s.spec.method) << "\n"
      << "  metric " << s.spec.metric.name << " (" << proto::GoalName(s.spec.metric.goal) << ")\n"
      << "  trials: " << s.counters.created << " created of " << s.spec.max_trials << "; "
      << s.counters.completed << " completed, " << s.counters.running << " running, "
      << s.counters.pending << " pending, " << s.counters.failed << " failed, "
      << s.counters.pruned << " pruned, " << s.counters.cancelled << " cancelled\n";
  if (!s.spec.early_terminate.is_null()) {
    out << "  early_terminate " << proto::DumpJson(s.spec.early_terminate) << "\n";
  }
  if (s.best_trial_id != 0 && s.best_value) {
    out << "  best: trial " << s.best_trial_id << " " << s.spec.metric.name << "="
        << FormatNumber(*s.best_value) << "\n";
  }
  if (!s.reason.empty()) out << "  reason: " << s.reason << "\n";
  if (s.last_failed_trial_id != 0) {
    out << "  last failure: trial " << s.last_failed_trial_id << ": "
        << OneLine(s.last_failure, 300) << "\n";
  }
}

int Fail(std::ostream& err, const Status& s) {
  err << "hpsweep: " << s.message();
  if (!s.field().empty()) err << " (at " << s.field() << ")";
  err << "\n";
  return 1;
}

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

std::string ValidStates() {
  std::string out;
  for (auto s : {proto::TrialState::kPending, proto::TrialState::kLeased,
                 proto::TrialState::kRunning, proto::TrialState::kCompleted,
                 proto::TrialState::kFailed, proto::TrialState::kPruned,
                 proto::TrialState::kCancelled}) {
    out += (out.empty() ? "" : ", ") + std::string(proto::TrialStateName(s));
  }
  return out;
}

// The data directory the command names (flag, else $HPSWEEP_DATA_DIR).
std::string DataDir(const Args& a) {
  if (!a.data_dir.empty()) return a.data_dir;
  const char* env = std::getenv("HPSWEEP_DATA_DIR");
  return env ? env : "";
}

// `hpsweep logs TRIAL`: the lines of DIR/logs/*.log that name the trial.
int Logs(const Args& a, uint64_t trial, std::ostream& out, std::ostream& err) {
  const std::string dir = DataDir(a);
  if (dir.empty()) {
    err << "hpsweep: logs needs --data-dir DIR (hpsweep run keeps worker logs in DIR/logs)\n";
    return 2;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path logs = fs::path(dir) / "logs";
  if (!fs::is_directory(logs, ec)) {
    err << "hpsweep: " << logs.string() << " does not exist (only `hpsweep run` writes worker logs "
        << "there; a cluster's worker logs are where its job scheduler put them)\n";
    return 1;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(logs, ec)) {
    if (entry.path().extension() == ".log") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const std::regex mention("\\btrial " + std::to_string(trial) + "\\b");
  int64_t lines = 0;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (!std::regex_search(line, mention)) continue;
      out << file.filename().string() << ": " << line << "\n";
      ++lines;
    }
  }
  if (lines == 0) {
    err << "hpsweep: no line of " << logs.string() << "/*.log names trial " << trial << "\n";
    return 1;
  }
  return 0;
}

// `hpsweep checkpoint get TRIAL -o FILE`.
int CheckpointGet(const Args& a, ResultSource& source, uint64_t trial_id, std::ostream& out,
                  std::ostream& err) {
  if (a.output.empty()) {
    err << "hpsweep: checkpoint get needs -o FILE\n";
    return 2;
  }
  const std::string format = a.format.empty() ? "model" : a.format;
  if (format != "model" && format != "raw") {
    err << "hpsweep: checkpoint get --format must be model or raw, found \"" << format << "\"\n";
    return 2;
  }
  auto trial = source.GetTrial(trial_id);
  if (!trial.ok()) return Fail(err, trial.status());
  auto sweep = source.GetSweep(trial->sweep_id);
  if (!sweep.ok()) return Fail(err, sweep.status());
  auto checkpoint = source.Checkpoint(trial_id, a.step);
  if (!checkpoint.ok()) {
    if (checkpoint.status().code() == StatusCode::kNotFound) {
      err << "hpsweep: trial " << trial_id << " has no checkpoint"
          << (a.step >= 0 ? " at step " + std::to_string(a.step) : std::string()) << " (state "
          << proto::TrialStateName(trial->state) << ", latest checkpoint step "
          << trial->checkpoint_step << ")\n";
      return 1;
    }
    return Fail(err, checkpoint.status());
  }
  const std::string& model = sweep->spec.program.model;
  Status written;
  std::string what;
  if (format == "raw") {
    std::ofstream file(a.output, std::ios::binary | std::ios::trunc);
    file << checkpoint->second;
    file.close();
    if (!file) written = UnavailableError("cannot write " + a.output);
    what = "the raw hpsweep checkpoint (model, optimizer and trainer state)";
  } else if (model == "torchscript") {
    Json args = sweep->spec.program.args;
    for (auto it = trial->params.begin(); it != trial->params.end(); ++it) args[it.key()] = it.value();
    const std::string module = args.value("module", "");
    std::string base = a.base_dir;
    if (base.empty()) base = ReadFirstLine(std::filesystem::path(DataDir(a)) / "base_dir");
    const std::string path =
        module.empty() || module[0] == '/' || base.empty() ? module : base + "/" + module;
    written = worker::ExportTorchScript(checkpoint->second, path, a.output);
    what = "a TorchScript module (torch.jit.load / torch::jit::load)";
  } else {
    written = worker::ExportModelArchive(checkpoint->second, a.output);
    what = "the model's LibTorch archive (torch::load into model \"" + model +
           "\" built with the trial's parameters; models/README.md)";
  }
  if (!written.ok()) return Fail(err, written);
  out << "trial " << trial_id << " step " << checkpoint->first << " -> " << a.output << ": " << what
      << "\n";
  return 0;
}


// The reading commands, against a coordinator or a store.
int RunRead(const std::string& cmd, const Args& a, ResultSource& source, uint64_t id,
            std::ostream& out, std::ostream& err) {
  if (cmd == "list") {
    auto sweeps = source.ListSweeps();
    if (!sweeps.ok()) return Fail(err, sweeps.status());
    out << std::left << std::setw(6) << "ID" << std::setw(11) << "STATE" << std::setw(10)
        << "METHOD" << std::setw(12) << "DONE" << std::setw(10) << "FAILED" << std::setw(14)
        << "BEST" << "NAME\n";
    for (const auto& s : *sweeps) {
      const auto& c = s.counters;
      out << std::left << std::setw(6) << s.id << std::setw(11) << proto::SweepStateName(s.state)
          << std::setw(10) << proto::MethodName(s.spec.method) << std::setw(12)
          << (std::to_string(c.completed) + "/" + std::to_string(s.spec.max_trials))
          << std::setw(10) << c.failed << std::setw(14)
          << (s.best_value ? FormatNumber(*s.best_value) : "-") << s.spec.name << "\n";
    }
    return 0;
  }
  if (cmd == "status") {
    auto sweep = source.GetSweep(id);
    if (!sweep.ok()) return Fail(err, sweep.status());
    PrintStatus(*sweep, out);
    // Which gangs (and Slurm jobs) hold its live trials.
    auto all = source.Trials(id);
    if (all.ok()) {
      std::vector<proto::Trial> live;
      for (const proto::Trial& t : *all) {
        if (t.state == proto::TrialState::kLeased || t.state == proto::TrialState::kRunning) {
          live.push_back(t);
        }
      }
      if (!live.empty()) out << "  workers:\n" << LiveWorkersText(live);
    }
    return 0;
  }
  if (cmd == "trials") {
    auto trials = source.Trials(id, a.state);
    if (!trials.ok()) return Fail(err, trials.status());
    out << TrialsTable(*trials);
    return 0;
  }
  if (cmd == "best") {
    auto sweep = source.GetSweep(id);
    if (!sweep.ok()) return Fail(err, sweep.status());
    auto trials = source.Trials(id, "completed");
    if (!trials.ok()) return Fail(err, trials.status());
    if (proto::IsMultiObjective(sweep->spec)) {
      // A multi-objective sweep: its Pareto front (front_table.h).
      std::vector<const proto::Trial*> completed;
      for (const proto::Trial& t : *trials) completed.push_back(&t);
      out << FrontTable(sweep->spec, coordinator::ParetoFront(sweep->spec, completed));
      return 0;
    }
    const auto best = BestTrials(*trials, sweep->spec, static_cast<size_t>(a.top));
    if (best.empty()) {
      const auto& c = sweep->counters;
      err << "hpsweep: sweep " << id << " has no completed trial";
      if (c.failed > 0) {
        err << ": " << c.failed << " failed"
            << (proto::IsTerminal(sweep->state) ? "" : " so far") << " (see hpsweep status " << id
            << ", hpsweep trials " << id << " --state failed)";
      } else if (!proto::IsTerminal(sweep->state)) {
        err << " yet";
      }
      err << "\n";
      return 1;
    }
    out << TrialsTable(best);
    return 0;
  }
  if (cmd == "metrics") {
    auto points = source.Metrics(id);
    if (!points.ok()) return Fail(err, points.status());
    if (a.format == "csv") {
      out << MetricsCsvLong({{id, *points}});
    } else if (points->empty()) {
      out << "trial " << id << " has reported no metrics\n";
    } else {
      out << MetricsTable(*points);
    }
    return 0;
  }
  if (cmd == "checkpoint") return CheckpointGet(a, source, id, out, err);
  // export
  auto trials = source.Trials(id);
  if (!trials.ok()) return Fail(err, trials.status());
  const std::string format = a.format.empty() ? "csv" : a.format;
  if (format == "csv") {
    out << TrialsCsv(*trials);
    return 0;
  }
  std::map<uint64_t, std::vector<proto::MetricPoint>> curves;
  for (const auto& t : *trials) {
    auto points = source.Metrics(t.id);
    if (!points.ok()) return Fail(err, points.status());
    curves[t.id] = std::move(*points);
  }
  if (format == "metrics") {
    out << MetricsCsvLong(curves);
  } else {
    Json arr = Json::array();
    for (const auto& t : *trials) {
      Json j = proto::ToJson(t);
      Json metrics = Json::array();
      for (const auto& p : curves[t.id]) metrics.push_back(proto::ToJson(p));
      j["metrics"] = std::move(metrics);
      arr.push_back(std::move(j));
    }
    out << arr.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

// "model:gp", "initial_design:tpe", "fallback", "random", "-" (unknown).
std::string OriginLabel(const proto::TrialOrigin& o) {
  if (o.source.empty()) return "-";
  if (o.model.empty() || o.source == "fallback") return o.source;
  return o.source + ":" + o.model;
}

std::string TrialsTable(const std::vector<proto::Trial>& trials) {
  bool any_error = false;
  for (const auto& t : trials) any_error = any_error || !t.error.empty();
  std::ostringstream out;
  out << std::left << std::setw(8) << "ID" << std::setw(11) << "STATE" << std::setw(14)
      << "OBJECTIVE" << std::setw(20) << "ORIGIN" << "PARAMETERS" << (any_error ? "  ERROR" : "")
      << "\n";
  for (const auto& t : trials) {
    std::string params;
    for (auto it = t.params.begin(); it != t.params.end(); ++it) {
      if (!params.empty()) params += " ";
      params += it.key() + "=" + FormatValue(it.value());
    }
    out << std::left << std::setw(8) << t.id << std::setw(11) << proto::TrialStateName(t.state)
        << std::setw(14) << (t.objective ? FormatNumber(*t.objective) : "-") << std::setw(20)
        << OriginLabel(t.origin) << params;
    if (!t.error.empty()) out << "  " << OneLine(t.error, 160);
    out << "\n";
    if (t.prune) out << "        pruned at step " << t.prune->step << ": " << t.prune->reason << "\n";
    if (t.parent) out << "        " << LineageLine(t) << "\n";
  }
  return out.str();
}

std::string PrunedSummary(const std::vector<proto::Trial>& trials) {
  std::map<int64_t, int64_t> by_rung;
  const proto::Trial* last = nullptr;
  int64_t total = 0;
  for (const auto& t : trials) {
    if (!t.prune) continue;
    ++total;
    ++by_rung[t.prune->rung];
    if (!last || t.updated_us >= last->updated_us) last = &t;
  }
  if (total == 0) return "";
  std::ostringstream out;
  out << "pruned " << total << (total == 1 ? " trial" : " trials");
  std::string sep = ": ";
  for (const auto& [rung, n] : by_rung) {
    out << sep << n << (rung < 0 ? " by the median rule" : " at rung " + std::to_string(rung));
    sep = ", ";
  }
  out << "\n  latest, trial " << last->id << " at step " << last->prune->step << ": "
      << last->prune->reason << "\n";
  return out.str();
}

std::string TrialsCsv(const std::vector<proto::Trial>& trials) {
  std::set<std::string> params, values;
  for (const auto& t : trials) {
    for (auto it = t.params.begin(); it != t.params.end(); ++it) params.insert(it.key());
    for (const auto& [k, v] : t.final_values) values.insert(k);
  }
  std::ostringstream out;
  out << "trial_id,number,state,objective,attempt,origin,origin_model,prune_step,prune_rung,"
         "prune_reason";
  const bool lineage = AnyLineage(trials);  // PBT children (lineage.h)
  if (lineage) out << "," << kLineageCsvHeader;
  for (const auto& p : params) out << "," << CsvField("param." + p);
  for (const auto& v : values) out << "," << CsvField("value." + v);
  out << ",error\n";
  for (const auto& t : trials) {
    out << t.id << "," << t.number << "," << proto::TrialStateName(t.state) << ","
        << (t.objective ? FormatNumber(*t.objective) : "") << "," << t.attempt << ","
        << CsvField(t.origin.source) << "," << CsvField(t.origin.model) << ",";
    if (t.prune) {
      out << t.prune->step << "," << t.prune->rung << "," << CsvField(t.prune->reason);
    } else {
      out << ",,";
    }
    if (lineage) {
      for (const std::string& f : LineageCsvFields(t)) out << "," << CsvField(f);
    }
    for (const auto& p : params) {
      out << "," << (t.params.contains(p) ? CsvField(FormatValue(t.params[p])) : "");
    }
    for (const auto& v : values) {
      auto it = t.final_values.find(v);
      out << "," << (it == t.final_values.end() ? "" : FormatNumber(it->second));
    }
    out << "," << CsvField(t.error) << "\n";
  }
  return out.str();
}

int RunCli(const std::vector<std::string>& raw, std::ostream& out, std::ostream& err,
           const CliContext& context) {
  Args a;
  bool help = false;
  if (!ParseArgs(raw, &a, &help, err)) return 2;
  if (a.version) {
    out << kVersion << "\n";
    return 0;
  }
  if (help) {
    out << (!a.positional.empty() && a.positional[0] == "run" ? kRunUsage : kUsage);
    return 0;
  }
  if (a.positional.empty() || a.positional[0] == "help") {
    (a.positional.empty() ? err : out) << kUsage;
    return a.positional.empty() ? 2 : 0;
  }
  const std::string& cmd = a.positional[0];
  static const std::set<std::string> kCommands = {
      "submit", "list",   "status",  "trials",     "best", "cancel", "watch",
      "export", "run",    "metrics", "checkpoint", "logs", "retry"};
  if (!kCommands.count(cmd)) {
    err << "hpsweep: unknown command \"" << cmd << "\"\n" << kUsage;
    return 2;
  }
  if (cmd == "run") {
    if (a.positional.size() < 2) {
      err << "hpsweep: run needs a sweep file\n" << kRunUsage;
      return 2;
    }
    if (!a.if_changed.empty() && a.if_changed != "resume" && a.if_changed != "new") {
      err << "hpsweep: --if-changed must be resume or new, found \"" << a.if_changed << "\"\n";
      return 2;
    }
    RunOptions options;
    options.sweep_file = a.positional[1];
    options.data_dir = a.data_dir;
    options.worker_binary = a.worker_binary;
    if (a.workers > 0) options.workers = a.workers;
    options.ranks_per_worker = a.ranks_per_worker;
    options.port = a.port;
    options.if_changed = a.if_changed;
    options.validator = context.program_validator;
    options.preflight = context.preflight;
    return RunSweep(options, context.argv0, out, err);
  }
  // Read and check the sweep file before contacting anyone.
  Json spec;
  if (cmd == "submit" && !(a.slurm.enabled && a.slurm.sweep_id != 0)) {
    if (a.positional.size() < 2) {
      err << "hpsweep: submit needs a sweep file\n";
      return 2;
    }
    // JSON, or YAML for .yaml/.yml (proto/sweep_file.h).
    auto file = proto::ReadSweepFile(a.positional[1]);
    if (!file.ok()) return Fail(err, file.status().WithContext(a.positional[1]));
    const proto::SweepSpec* checked = &file->spec;
    if (context.program_validator && !checked->program.external) {
      // Pre-flight: what the coordinator checks, here, before anything starts.
      Status valid = context.program_validator(*checked);
      if (!valid.ok()) return Fail(err, valid.WithContext(a.positional[1]));
    }
    if (context.preflight && !checked->program.external && !checked->program.IsCommand()) {
      std::error_code ec;
      const auto sweep_path = std::filesystem::absolute(a.positional[1], ec);
      Status ready = context.preflight(*checked, sweep_path.parent_path().string());
      if (!ready.ok()) return Fail(err, ready.WithContext(a.positional[1]));
    }
    spec = std::move(file->json);
  }
  // Every other command names a sweep or a trial; check it before contacting anyone.
  StatusOr<uint64_t> id = uint64_t{0};
  if (cmd == "checkpoint") {
    if (a.positional.size() < 2 || a.positional[1] != "get") {
      err << "hpsweep: usage: hpsweep checkpoint get TRIAL -o FILE [--step N]\n";
      return 2;
    }
    id = IdArg(a, 2, "a trial id", err);
  } else if (cmd == "metrics" || cmd == "logs") {
    id = IdArg(a, 1, "a trial id", err);
  } else if (cmd != "submit" && cmd != "list") {
    id = IdArg(a, 1, "a sweep id", err);
  }
  if (!id.ok()) return 2;
  if (!a.state.empty() && !proto::TrialStateFromName(a.state)) {
    err << "hpsweep: --state must be one of " << ValidStates() << "; found \"" << a.state << "\"\n";
    return 2;
  }
  if (cmd == "export" && !a.format.empty() && a.format != "csv" && a.format != "json" &&
      a.format != "metrics") {
    err << "hpsweep: export --format must be csv, json or metrics, found \"" << a.format << "\"\n";
    return 2;
  }
  if (cmd == "metrics" && !a.format.empty() && a.format != "table" && a.format != "csv") {
    err << "hpsweep: metrics --format must be table or csv, found \"" << a.format << "\"\n";
    return 2;
  }
  if (cmd == "logs") return Logs(a, *id, out, err);

  static const std::set<std::string> kReads = {"list",    "status", "trials",    "best",
                                               "export",  "metrics", "checkpoint"};
  if (kReads.count(cmd)) {
    auto source_or = OpenResultSource(a.url, a.token, a.data_dir, a.token_file);
    if (!source_or.ok()) return Fail(err, source_or.status());
    return RunRead(cmd, a, **source_or, *id, out, err);
  }

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
    auto sweep = client.RetrySweep(*id);
    if (embedded) embedded->Stop();
    if (!sweep.ok()) return Fail(err, sweep.status());
    out << "sweep " << sweep->id << " is " << proto::SweepStateName(sweep->state) << ": "
        << sweep->counters.pending << " trial(s) pending\n";
    return 0;
  }
  if (cmd == "cancel") {
    auto sweep = client.CancelSweep(*id);
    if (!sweep.ok()) return Fail(err, sweep.status());
    out << "sweep " << sweep->id << " is " << proto::SweepStateName(sweep->state) << "\n";
    return 0;
  }
  // watch
  return Watch(client, *id, std::max(0.05, a.interval), out, err);
}

}  // namespace hpsweep::cli
