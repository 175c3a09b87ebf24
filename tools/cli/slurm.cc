#include "tools/cli/slurm.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "proto/sweep_spec.h"
#include "worker/client_id.h"

namespace hpsweep::cli {
namespace {

// Single-quotes `s` for a POSIX shell.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Slurm's time formats: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or
// "infinite"/"unlimited". Checked here so that a typo fails before a sweep
// is created.
bool ValidSlurmTime(const std::string& t) {
  if (t == "infinite" || t == "unlimited" || t == "UNLIMITED" || t == "INFINITE") return true;
  if (t.empty() || t.size() > 20) return false;
  int dashes = 0, colons = 0;
  bool digit = false;
  for (char c : t) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c == '-' && digit && dashes == 0 && colons == 0) {
      ++dashes;
      digit = false;
    } else if (c == ':' && digit) {
      ++colons;
      digit = false;
    } else {
      return false;
    }
  }
  return digit && colons <= 2;
}

}  // namespace

Status TakeSlurmFlags(std::vector<std::string>* args, SlurmOptions* options) {
  std::vector<std::string> rest;
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    if (a == "--") {  // everything after is positional
      rest.insert(rest.end(), args->begin() + static_cast<long>(i), args->end());
      break;
    }
    if (a == "--slurm") {
      options->enabled = true;
    } else if (a == "--slurm-dry-run") {
      options->enabled = true;
      options->dry_run = true;
    } else if (a == "--sbatch-arg") {
      if (i + 1 >= args->size()) return InvalidArgumentError("--sbatch-arg needs a value");
      options->sbatch_args.push_back((*args)[++i]);
    } else if (a.rfind("--sbatch-arg=", 0) == 0) {
      options->sbatch_args.push_back(a.substr(13));
    } else {
      rest.push_back(a);
    }
  }
  *args = std::move(rest);
  return Status();
}

void DeclareSlurmFlags(Flags* flags, SlurmOptions* o) {
  flags->Int("--nodes", &o->nodes, 1, 100000);
  flags->Int("--ntasks-per-node", &o->ntasks_per_node, 1, 100000);
  flags->Int("--gang-size", &o->gang_size, 1, 1 << 20);
  flags->Int("--jobs", &o->jobs, 1, 100000);
  flags->String("--time", &o->time);
  flags->String("--partition", &o->partition);
  flags->String("--account", &o->account);
  flags->Int("--signal-seconds", &o->signal_seconds, 0, 65535);
  flags->String("--slurm-dir", &o->dir);
  flags->String("--worker-url", &o->worker_url);
  flags->Int("--lease-seconds", &o->lease_seconds, 4, 3600);
  flags->Double("--idle-wait", &o->idle_wait, 0, 1e9);
  flags->Double("--unreachable-wait", &o->unreachable_wait, 0, 1e9);
  flags->Int("--checkpoint-every", &o->checkpoint_every, 1, int64_t{9'000'000'000'000'000});
  flags->String("--sbatch", &o->sbatch);
  flags->Int("--sweep", &o->sweep_id, 1, int64_t{9'000'000'000'000'000});
}

StatusOr<std::string> SlurmScript(const SlurmOptions& o, const SlurmJobSpec& job) {
  const int ranks_per_trial = std::max(1, job.ranks_per_trial);
  const int per_node = o.ntasks_per_node > 0 ? o.ntasks_per_node : ranks_per_trial;
  const int64_t ranks = int64_t{o.nodes} * per_node;
  const int gang = o.gang_size > 0 ? o.gang_size : ranks_per_trial;
  if (ranks % gang != 0) {
    return InvalidArgumentError("--gang-size " + std::to_string(gang) + " does not divide the job's " +
                                    std::to_string(ranks) + " ranks (--nodes " +
                                    std::to_string(o.nodes) + " x --ntasks-per-node " +
                                    std::to_string(per_node) + ")",
                                "--gang-size");
  }
  if (gang < ranks_per_trial) {
    return InvalidArgumentError("--gang-size " + std::to_string(gang) +
                                    " is smaller than the sweep's resources.ranks_per_trial (" +
                                    std::to_string(ranks_per_trial) + ")",
                                "--gang-size");
  }
  if (!o.time.empty() && !ValidSlurmTime(o.time)) {
    return InvalidArgumentError("--time \"" + o.time +
                                    "\" is not a Slurm time (MM, MM:SS, HH:MM:SS, D-HH:MM:SS)",
                                "--time");
  }
  for (const auto* name : {&o.partition, &o.account}) {
    if (name->find_first_of(" \t\n'\"\\$`") != std::string::npos) {
      return InvalidArgumentError(
          std::string(name == &o.partition ? "--partition" : "--account") + " \"" + *name +
              "\" has a blank or a shell character",
          name == &o.partition ? "--partition" : "--account");
    }
  }
  if (o.dir.empty() || o.dir[0] != '/') return InvalidArgumentError("the script folder must be absolute", "--slurm-dir");

  std::ostringstream s;
  const std::string id = std::to_string(job.sweep_id);
  s << "#!/bin/bash\n";
  s << "#SBATCH --job-name=hpsweep-" << id << "\n";
  s << "#SBATCH --nodes=" << o.nodes << "\n";
  s << "#SBATCH --ntasks-per-node=" << per_node << "\n";
  if (!o.time.empty()) s << "#SBATCH --time=" << o.time << "\n";
  if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
  if (!o.account.empty()) s << "#SBATCH --account=" << o.account << "\n";
  // SIGTERM to the workers (not the batch shell) before the time limit.
  if (o.signal_seconds > 0) s << "#SBATCH --signal=TERM@" << o.signal_seconds << "\n";
  if (o.jobs > 1) {
    s << "#SBATCH --array=0-" << (o.jobs - 1) << "\n";
    s << "#SBATCH --output=" << o.dir << "/sweep" << id << "-%A_%a.out\n";
  } else {
    s << "#SBATCH --output=" << o.dir << "/sweep" << id << "-%j.out\n";
  }
  std::time_t now = std::time(nullptr);
  char when[64] = {0};
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  s << "#\n# Workers for hpsweep sweep " << id << " (\"" << job.sweep_name << "\"), written by\n"
    << "# `hpsweep submit --slurm` on " << when << ": " << ranks << " rank(s) per job in gangs of "
    << gang << ",\n# " << o.jobs << " job(s). Each gang trains one trial at a time, data-parallel.\n"
    << "set -u\n"
    << "export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}\n";
  // Debian's Open MPI 4.1 speaks PMIx to srun (not PMI-1/PMI-2).
  s << "srun --mpi=pmix --kill-on-bad-exit=1 " << ShellQuote(job.worker_binary) << " \\\n"
    << "  --coordinator " << ShellQuote(job.coordinator_url) << " --sweep " << id
    << " --gang-size " << gang << " \\\n"
    << "  --base-dir " << ShellQuote(job.base_dir);
  if (!job.token_file.empty()) s << " --token-file " << ShellQuote(job.token_file);
  if (o.lease_seconds > 0) s << " --lease-seconds " << o.lease_seconds;
  if (o.idle_wait > 0) s << " --idle-wait " << o.idle_wait;
  if (o.unreachable_wait > 0) s << " --unreachable-wait " << o.unreachable_wait;
  if (o.checkpoint_every > 0) s << " --checkpoint-every " << o.checkpoint_every;
  s << "\n";
  return s.str();
}

StatusOr<std::string> SubmitSlurmScript(const SlurmOptions& o, const std::string& script_path,
                                        const std::string& token) {
  std::vector<std::string> argv = {o.sbatch, "--parsable"};
  argv.insert(argv.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  argv.push_back(script_path);
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return UnavailableError("cannot run sbatch: pipe failed");
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return UnavailableError("cannot run sbatch: fork failed");
  }
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    // sbatch exports this environment to the job (--export=ALL): the token
    // reaches the workers without a file or a command line.
    if (!token.empty()) setenv("HPSWEEP_TOKEN", token.c_str(), 1);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "cannot run %s\n", cargv[0]);
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string output;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof(buf))) > 0) output.append(buf, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  while (!output.empty() && std::isspace(static_cast<unsigned char>(output.back()))) output.pop_back();
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return UnavailableError("sbatch failed: " + (output.empty() ? std::string("no output") : output));
  }
  // --parsable prints "JOBID" or "JOBID;CLUSTER" (after any warnings).
  const size_t line = output.find_last_of('\n');
  std::string id = line == std::string::npos ? output : output.substr(line + 1);
  id = id.substr(0, id.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    return UnavailableError("sbatch printed no job id: " + output);
  }
  return id;
}

int RunSlurmSubmit(const SlurmOptions& options, const SlurmSubmitContext& context,
                   proto::CoordinatorClient& client, std::ostream& out, std::ostream& err) {
  namespace fs = std::filesystem;
  auto fail = [&err](const Status& s, int code) {
    err << "hpsweep submit: " << s.message();
    if (!s.field().empty()) err << " (at " << s.field() << ")";
    err << "\n";
    return code;
  };
  std::error_code ec;
  SlurmOptions o = options;
  o.dir = fs::absolute(fs::path(o.dir), ec).lexically_normal().string();
  if (ec) return fail(InvalidArgumentError("cannot resolve " + options.dir, "--slurm-dir"), 2);
  SlurmJobSpec job;
  job.coordinator_url = o.worker_url.empty() ? context.url : o.worker_url;
  job.worker_binary = context.worker_binary;
  if (job.worker_binary.find('/') != std::string::npos) {
    job.worker_binary = fs::absolute(fs::path(job.worker_binary), ec).string();
  }
  if (!context.token_file.empty()) {
    job.token_file = fs::absolute(fs::path(context.token_file), ec).string();
  }
  job.base_dir = fs::current_path(ec).string();
  if (!context.sweep_file.empty()) {
    job.base_dir = fs::absolute(fs::path(context.sweep_file), ec).parent_path().string();
  }
  proto::SweepSpec spec;
  if (o.sweep_id != 0) {
    auto sweep = client.GetSweep(o.sweep_id);
    if (!sweep.ok()) return fail(sweep.status(), 1);
    spec = sweep->spec;
  } else {
    auto parsed = proto::ParseSweepSpec(context.spec);
    if (!parsed.ok()) return fail(parsed.status().WithContext(context.sweep_file), 1);
    spec = *parsed;
  }
  job.sweep_name = spec.name;
  job.ranks_per_trial = static_cast<int>(spec.ranks_per_trial);
  // Every option is checked before anything is created.
  job.sweep_id = o.sweep_id;
  auto checked = SlurmScript(o, job);
  if (!checked.ok()) return fail(checked.status(), 2);
  fs::create_directories(o.dir, ec);
  if (ec) return fail(UnavailableError("cannot create " + o.dir + ": " + ec.message()), 1);

  if (o.sweep_id == 0) {
    auto sweep = client.CreateSweep(context.spec);
    if (!sweep.ok()) return fail(sweep.status(), 1);
    job.sweep_id = sweep->id;
    out << "created sweep " << sweep->id << " \"" << sweep->spec.name << "\" ("
        << sweep->spec.max_trials << " trials, method " << proto::MethodName(sweep->spec.method)
        << ")\n";
  }
  auto script = SlurmScript(o, job);
  if (!script.ok()) return fail(script.status(), 2);
  const std::string again = "; start its workers again with: hpsweep submit --slurm --sweep " +
                            std::to_string(job.sweep_id) + " ...";
  const std::string path = (fs::path(o.dir) / ("sweep" + std::to_string(job.sweep_id) + ".sbatch")).string();
  {
    std::ofstream file(path, std::ios::trunc);
    file << *script;
    file.close();
    if (!file) return fail(UnavailableError("cannot write " + path + again), 1);
  }
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (o.dry_run) {
    out << "wrote " << path << " (not submitted: --slurm-dry-run)\n";
    return 0;
  }
  auto job_id = SubmitSlurmScript(o, path, job.token_file.empty() ? context.token : "");
  if (!job_id.ok()) return fail(Status(job_id.status().code(), job_id.status().message() + again), 1);
  out << "submitted Slurm job " << *job_id << " for sweep " << job.sweep_id << " (script " << path
      << ", output " << o.dir << "/sweep" << job.sweep_id << "-" << *job_id
      << (o.jobs > 1 ? "_*" : "") << ".out)\n";
  return 0;
}

std::string LiveWorkersText(const std::vector<proto::Trial>& live_trials) {
  // job -> (gangs, trials); "" for gangs outside Slurm.
  std::map<std::string, std::pair<std::map<std::string, int>, std::vector<uint64_t>>> jobs;
  for (const auto& t : live_trials) {
    if (t.lease_owner.empty()) continue;
    auto& entry = jobs[worker::SlurmJobOfClientId(t.lease_owner)];
    entry.first[t.lease_owner] += 1;
    entry.second.push_back(t.id);
  }
  std::ostringstream out;
  for (const auto& [job, entry] : jobs) {
    if (job.empty()) {
      for (const auto& t : live_trials) {
        if (!t.lease_owner.empty() && worker::SlurmJobOfClientId(t.lease_owner).empty()) {
          out << "  worker " << t.lease_owner << ": trial " << t.id << "\n";
        }
      }
      continue;
    }
    out << "  slurm job " << job << ": " << entry.first.size() << " gang(s), trials";
    for (uint64_t id : entry.second) out << " " << id;
    out << "\n";
  }
  return out.str();
}

}  // namespace hpsweep::cli
