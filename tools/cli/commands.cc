#include "tools/cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/flags.h"
#include "proto/api_client.h"
#include "tools/cli/front_table.h"
#include "proto/sweep_file.h"
#include "tools/cli/progress.h"
#include "tools/cli/run_command.h"
#include "tools/cli/slurm.h"

namespace hpsweep::cli {
namespace {

using proto::Json;

constexpr char kUsage[] =
    "usage: hpsweep COMMAND [ARGS] [--url URL] [--token-file PATH] [--data-dir DIR]\n"
    "commands:\n"
    "  run FILE [--workers N] [--ranks-per-worker K] [--data-dir DIR]\n"
    "                              run a whole sweep on this machine (embedded coordinator,\n"
    "                              local MPI workers); again on the same DIR resumes it\n"
    "  submit FILE                 create a sweep from a sweep file (JSON or YAML)\n"
    "  submit FILE --slurm [--nodes N] [--ntasks-per-node K] [--gang-size G] [--jobs J]\n"
    "         [--time T] [--partition P] [--account A] [--sbatch-arg ARG]...\n"
    "         [--signal-seconds S] [--slurm-dir DIR] [--worker-url URL] [--slurm-dry-run]\n"
    "                              ... and run its workers as a Slurm job (srun --mpi=pmix);\n"
    "                              --sweep ID instead of FILE: more workers for a sweep\n"
    "  list                        list sweeps\n"
    "  status ID                   a sweep's state, counters and best value\n"
    "  trials ID [--state STATE]   list a sweep's trials\n"
    "  best ID                     the best completed trial (multi-objective: the Pareto front)\n"
    "  cancel ID                   cancel a sweep\n"
    "  watch ID [--interval S]     follow a sweep live until it ends\n"
    "  export ID --format csv|json every trial, for analysis\n"
    "connection: --url, else $HPSWEEP_URL, else --data-dir (or $HPSWEEP_DATA_DIR) of a\n"
    "running coordinator; token: --token-file PATH, else $HPSWEEP_TOKEN, else\n"
    "$HPSWEEP_TOKEN_FILE, else the data dir's token file (--token T works too, but\n"
    "shows the token to other users in ps)\n";

// Every flag of every command; a command ignores the ones it has no use for.
struct Args {
  std::vector<std::string> positional;
  std::string url, token, token_file, data_dir, state, format, worker_binary;
  // Seconds between `watch` updates. Default: 1.
  double interval = 1.0;
  // `run`: 0 means the command's default.
  int workers = 0, ranks_per_worker = 0;
  // `submit --slurm`.
  SlurmOptions slurm;
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
  auto positional = flags.Parse(rest);
  if (!positional.ok()) {
    err << "hpsweep: " << positional.status().message() << "\n" << kUsage;
    return false;
  }
  args->positional = std::move(*positional);
  *help = flags.help();
  return true;
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

StatusOr<uint64_t> SweepId(const Args& a, std::ostream& err) {
  if (a.positional.size() < 2) {
    err << "hpsweep: " << a.positional[0] << " needs a sweep id\n";
    return InvalidArgumentError("missing sweep id");
  }
  auto id = Flags::ParseInt("a sweep id", a.positional[1], 1, INT64_MAX);
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
  ProgressDisplay display(out, &out == &std::cout && isatty(STDOUT_FILENO), 30);
  std::string workers_shown;
  while (true) {
    auto sweep = client.GetSweep(id);
    if (!sweep.ok()) {
      display.Finish();
      return Fail(err, sweep.status());
    }
    display.Show(*sweep);
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
      return sweep->state == proto::SweepState::kCompleted ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(interval * 1000)));
  }
}

}  // namespace

// "model:gp", "initial_design:tpe", "fallback", "random", "-" (unknown).
std::string OriginLabel(const proto::TrialOrigin& o) {
  if (o.source.empty()) return "-";
  if (o.model.empty() || o.source == "fallback") return o.source;
  return o.source + ":" + o.model;
}

std::string TrialsTable(const std::vector<proto::Trial>& trials) {
  std::ostringstream out;
  out << std::left << std::setw(8) << "ID" << std::setw(11) << "STATE" << std::setw(14)
      << "OBJECTIVE" << std::setw(20) << "ORIGIN" << "PARAMETERS\n";
  for (const auto& t : trials) {
    std::string params;
    for (auto it = t.params.begin(); it != t.params.end(); ++it) {
      if (!params.empty()) params += " ";
      params += it.key() + "=" + FormatValue(it.value());
    }
    out << std::left << std::setw(8) << t.id << std::setw(11) << proto::TrialStateName(t.state)
        << std::setw(14) << (t.objective ? FormatNumber(*t.objective) : "-") << std::setw(20)
        << OriginLabel(t.origin) << params << "\n";
    if (t.prune) out << "        pruned at step " << t.prune->step << ": " << t.prune->reason << "\n";
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
  for (const auto& p : params) out << "," << CsvField("param." + p);
  for (const auto& v : values) out << "," << CsvField("value." + v);
  out << "\n";
  for (const auto& t : trials) {
    out << t.id << "," << t.number << "," << proto::TrialStateName(t.state) << ","
        << (t.objective ? FormatNumber(*t.objective) : "") << "," << t.attempt << ","
        << CsvField(t.origin.source) << "," << CsvField(t.origin.model) << ",";
    if (t.prune) {
      out << t.prune->step << "," << t.prune->rung << "," << CsvField(t.prune->reason);
    } else {
      out << ",,";
    }
    for (const auto& p : params) {
      out << "," << (t.params.contains(p) ? CsvField(FormatValue(t.params[p])) : "");
    }
    for (const auto& v : values) {
      auto it = t.final_values.find(v);
      out << "," << (it == t.final_values.end() ? "" : FormatNumber(it->second));
    }
    out << "\n";
  }
  return out.str();
}

int RunCli(const std::vector<std::string>& raw, std::ostream& out, std::ostream& err,
           const CliContext& context) {
  Args a;
  bool help = false;
  if (!ParseArgs(raw, &a, &help, err)) return 2;
  if (help) {
    out << kUsage;
    return 0;
  }
  if (a.positional.empty() || a.positional[0] == "help") {
    (a.positional.empty() ? err : out) << kUsage;
    return a.positional.empty() ? 2 : 0;
  }
  const std::string& cmd = a.positional[0];
  static const std::set<std::string> kCommands = {"submit", "list",  "status", "trials", "best",
                                                  "cancel", "watch", "export", "run"};
  if (!kCommands.count(cmd)) {
    err << "hpsweep: unknown command \"" << cmd << "\"\n" << kUsage;
    return 2;
  }
  if (cmd == "run") {
    if (a.positional.size() < 2) {
      err << "hpsweep: run needs a sweep file\n";
      return 2;
    }
    RunOptions options;
    options.sweep_file = a.positional[1];
    options.data_dir = a.data_dir;
    options.worker_binary = a.worker_binary;
    if (a.workers > 0) options.workers = a.workers;
    options.ranks_per_worker = a.ranks_per_worker;
    options.validator = context.program_validator;
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
    spec = std::move(file->json);
  }
  // Every other command names a sweep; check its id before contacting anyone.
  StatusOr<uint64_t> id = uint64_t{0};
  if (cmd != "submit" && cmd != "list") {
    id = SweepId(a, err);
    if (!id.ok()) return 2;
  }
  auto connection = proto::ResolveConnection(a.url, a.token, a.data_dir, a.token_file);
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
  if (cmd == "list") {
    auto sweeps = client.ListSweeps();
    if (!sweeps.ok()) return Fail(err, sweeps.status());
    out << std::left << std::setw(6) << "ID" << std::setw(11) << "STATE" << std::setw(10)
        << "METHOD" << std::setw(12) << "DONE" << std::setw(14) << "BEST" << "NAME\n";
    for (const auto& s : *sweeps) {
      const auto& c = s.counters;
      out << std::left << std::setw(6) << s.id << std::setw(11) << proto::SweepStateName(s.state)
          << std::setw(10) << proto::MethodName(s.spec.method) << std::setw(12)
          << (std::to_string(c.completed) + "/" + std::to_string(s.spec.max_trials))
          << std::setw(14) << (s.best_value ? FormatNumber(*s.best_value) : "-") << s.spec.name
          << "\n";
    }
    return 0;
  }
  if (cmd == "status") {
    auto sweep = client.GetSweep(*id);
    if (!sweep.ok()) return Fail(err, sweep.status());
    PrintStatus(*sweep, out);
    auto live = LiveTrials(client, *id);
    if (live.ok() && !live->empty()) out << "  workers:\n" << LiveWorkersText(*live);
    return 0;
  }
  if (cmd == "trials") {
    std::vector<proto::Trial> trials;
    std::string token;
    do {
      auto page = client.ListTrials(*id, token, 1000, a.state);
      if (!page.ok()) return Fail(err, page.status());
      trials.insert(trials.end(), page->trials.begin(), page->trials.end());
      token = page->next_page_token;
    } while (!token.empty());
    out << TrialsTable(trials);
    return 0;
  }
  if (cmd == "best") {
    // A multi-objective sweep: its Pareto front (front_table.h).
    auto sweep = client.GetSweep(*id);
    if (sweep.ok() && proto::IsMultiObjective(sweep->spec)) {
      auto front = client.ParetoTrials(*id);
      if (!front.ok()) return Fail(err, front.status());
      out << FrontTable(sweep->spec, front->trials);
      return 0;
    }
    auto best = client.BestTrial(*id);
    if (!best.ok()) return Fail(err, best.status());
    out << TrialsTable({*best});
    return 0;
  }
  if (cmd == "cancel") {
    auto sweep = client.CancelSweep(*id);
    if (!sweep.ok()) return Fail(err, sweep.status());
    out << "sweep " << sweep->id << " is " << proto::SweepStateName(sweep->state) << "\n";
    return 0;
  }
  if (cmd == "watch") {
    return Watch(client, *id, std::max(0.05, a.interval), out, err);
  }
  // export
  const std::string& format = a.format;
  if (format != "csv" && format != "json") {
    err << "hpsweep: export needs --format csv or --format json\n";
    return 2;
  }
  auto trials = client.AllTrials(*id);
  if (!trials.ok()) return Fail(err, trials.status());
  if (format == "csv") {
    out << TrialsCsv(*trials);
  } else {
    Json arr = Json::array();
    for (const auto& t : *trials) arr.push_back(proto::ToJson(t));
    out << arr.dump(2) << "\n";
  }
  return 0;
}

}  // namespace hpsweep::cli
