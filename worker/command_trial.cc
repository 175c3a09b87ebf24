#include "worker/command_trial.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/logging.h"
#include "proto/json_reader.h"
#include "worker/command_process.h"
#include "worker/command_program.h"
#include "worker/dir_archive.h"

namespace hpsweep::worker {
namespace {

namespace fs = std::filesystem;
using proto::Json;

constexpr double kTickSeconds = 0.1;
// How long the rest of an ended command's output may take to arrive.
constexpr double kDrainSeconds = 2.0;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A TCP port free on this host now, for the rendezvous (MASTER_PORT).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 29500;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof(addr);
  int port = 29500;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

StatusOr<RankPlacement> Place(Collectives* comm) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  HPS_ASSIGN_OR_RETURN(std::vector<std::string> hosts, comm->AllgatherBytes(host));
  RankPlacement p;
  p.rank = comm->rank();
  p.world_size = comm->size();
  for (int r = 0; r < p.rank; ++r) p.local_rank += hosts[r] == host ? 1 : 0;
  std::string where;
  if (p.rank == 0) {
    const bool one_host = std::all_of(hosts.begin(), hosts.end(),
                                      [&](const std::string& h) { return h == hosts[0]; });
    where = (one_host ? std::string("127.0.0.1") : hosts[0]) + "\n" + std::to_string(FreePort());
  }
  HPS_RETURN_IF_ERROR(comm->BroadcastBytes(&where, 0));
  const size_t nl = where.find('\n');
  p.master_addr = where.substr(0, nl);
  p.master_port = std::atoi(where.c_str() + nl + 1);
  return p;
}

// One rank's view, gathered every tick.
struct RankState {
  bool exited = false;
  bool ok = false;
  std::string reason;  // why it failed
  std::string stop;    // leader: why the gang stops
  double exit_time = 0;  // seconds since the epoch when the exit was seen
  std::string Encode() const {
    return proto::DumpJson(
        Json{{"e", exited}, {"o", ok}, {"r", reason}, {"s", stop}, {"t", exit_time}});
  }
  static RankState Decode(const std::string& bytes) {
    RankState s;
    auto j = proto::ParseJsonText(bytes);
    if (!j.ok() || !j->is_object()) return s;
    s.exited = j->value("e", false);
    s.ok = j->value("o", false);
    s.reason = j->value("r", "");
    s.stop = j->value("s", "");
    s.exit_time = j->value("t", 0.0);
    return s;
  }
};

// The leader's side of one trial: the lease, reports and checkpoints.
class LeaderRelay {
 public:
  LeaderRelay(CoordinatorClient* client, const CommandTrialOptions& options,
              const proto::Trial& trial, std::string checkpoint_dir)
      : client_(client), options_(options), trial_(trial),
        checkpoint_dir_(std::move(checkpoint_dir)),
        fingerprint_(DirectoryFingerprint(checkpoint_dir_)), last_heartbeat_(Now()) {}

  // Relays one report; returns the reply for the script.
  Json Report(int64_t step, const proto::Values& values) {
    if (step < 0) step = last_step_ + 1;
    last_step_ = std::max(last_step_, step);
    for (const auto& [k, v] : values) last_values_[k] = v;
    if (!stop_.empty()) return Json{{"stop", true}, {"reason", stop_}};
    auto decision = client_->Report(trial_.id, {options_.client_id, step, values});
    if (!decision.ok()) {
      HPS_LOG(WARNING) << "report for trial " << trial_.id << ": " << decision.status();
      const StatusCode code = decision.status().code();
      if (code == StatusCode::kInvalidArgument) {
        return Json{{"stop", false}, {"error", decision.status().message()}};
      }
      if (!IsRetryable(code) || code == StatusCode::kAborted) {
        StopByCoordinator("lease lost: " + decision.status().message());
      }
    } else if (decision->stop) {
      StopByCoordinator("coordinator: " + decision->reason);
    }
    if (stop_.empty()) MaybeUploadCheckpoint(step);
    return Json{{"stop", !stop_.empty()}, {"reason", stop_}};
  }
  void Complete(const proto::Values& values) {
    for (const auto& [k, v] : values) final_values_[k] = v;
  }
  // Heartbeats when due; notes a gang stop.
  void Tick(bool stop_requested) {
    if (stop_requested && stop_.empty()) {
      stop_ = "the worker is stopping";
      release_ = true;
    }
    if (Now() - last_heartbeat_ < options_.lease_seconds / 4.0) return;
    last_heartbeat_ = Now();
    auto d = client_->Heartbeat(trial_.id, options_.client_id);
    if (d.ok() && d->stop) StopByCoordinator("coordinator: " + d->reason);
    if (!d.ok()) {
      HPS_LOG(WARNING) << "heartbeat for trial " << trial_.id << ": " << d.status();
      if (!IsRetryable(d.status().code())) StopByCoordinator(d.status().message());
    }
  }
  const std::string& stop() const { return stop_; }
  bool release() const { return release_; }
  proto::Values FinalValues() const {
    proto::Values out = last_values_;
    for (const auto& [k, v] : final_values_) out[k] = v;
    return out;
  }

 private:
  void StopByCoordinator(std::string reason) {
    if (stop_.empty()) stop_ = std::move(reason);
  }
  void MaybeUploadCheckpoint(int64_t step) {
    std::string now = DirectoryFingerprint(checkpoint_dir_);
    if (now == fingerprint_ || now.empty()) return;
    fingerprint_ = std::move(now);
    auto packed = PackDirectory(checkpoint_dir_, options_.max_checkpoint_bytes);
    Status s = packed.ok() ? client_->UploadCheckpoint(trial_.id, step, options_.client_id, *packed)
                           : packed.status();
    if (!s.ok()) HPS_LOG(WARNING) << "checkpoint of trial " << trial_.id << ": " << s;
  }

  CoordinatorClient* client_;
  const CommandTrialOptions& options_;
  const proto::Trial& trial_;
  std::string checkpoint_dir_;
  std::string fingerprint_;
  double last_heartbeat_;
  int64_t last_step_ = -1;
  proto::Values last_values_, final_values_;
  std::string stop_;
  bool release_ = false;
};

}  // namespace

StatusOr<CommandTrialResult> RunCommandTrial(Collectives* comm, CoordinatorClient* client,
                                             const CommandTrialOptions& options,
                                             const proto::Trial& trial,
                                             const proto::ProgramSpec& program,
                                             const std::string& metric,
                                             const std::atomic<bool>& stop_requested) {
  const bool leader = comm->rank() == 0;
  CommandTrialResult result;
  HPS_ASSIGN_OR_RETURN(RankPlacement placement, Place(comm));

  // The latest checkpoint folder, from the leader to every rank.
  std::string blob;
  if (leader && trial.checkpoint_step >= 0) {
    auto checkpoint = client->DownloadCheckpoint(trial.id, -1);
    if (checkpoint.ok()) {
      blob = std::to_string(checkpoint->first) + "\n" + checkpoint->second;
    } else {
      HPS_LOG(WARNING) << "trial " << trial.id << ": checkpoint unavailable ("
                       << checkpoint.status() << "); starting from scratch";
    }
  }
  HPS_RETURN_IF_ERROR(comm->BroadcastBytes(&blob, 0));
  std::string safe_id;
  for (char c : options.client_id) safe_id.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  const fs::path checkpoint_dir =
      fs::temp_directory_path() / ("hpsweep-" + safe_id + "-trial" + std::to_string(trial.id) +
                                   "-rank" + std::to_string(comm->rank()));
  std::error_code ec;
  fs::remove_all(checkpoint_dir, ec);
  fs::create_directories(checkpoint_dir, ec);
  CommandContext context;
  context.trial = trial;
  context.metric = metric;
  context.checkpoint_dir = checkpoint_dir.string();
  context.placement = placement;
  context.request_fd = CommandProcess::kScriptRequestFd;
  context.reply_fd = CommandProcess::kScriptReplyFd;
  if (!blob.empty()) {
    const size_t nl = blob.find('\n');
    Status unpacked = UnpackDirectory(blob.substr(nl + 1), checkpoint_dir.string());
    if (unpacked.ok()) {
      context.restored_step = std::atoll(blob.c_str());
      result.resumed = true;
      if (leader) {
        HPS_LOG(INFO) << "trial " << trial.id << " attempt " << trial.attempt
                      << ": restored its checkpoint folder at step " << context.restored_step;
      }
    } else {
      HPS_LOG(WARNING) << "trial " << trial.id << ": checkpoint folder not restored: " << unpacked;
      fs::remove_all(checkpoint_dir, ec);
      fs::create_directories(checkpoint_dir, ec);
    }
  }

  fs::path workdir = options.base_dir.empty() ? fs::current_path(ec) : fs::path(options.base_dir);
  if (!program.workdir.empty()) workdir /= program.workdir;  // an absolute workdir replaces it
  const std::vector<std::string> argv = ExpandCommand(program.command, trial.params);
  CommandProcess process;
  const std::string prefix =
      "[trial " + std::to_string(trial.id) + " rank " + std::to_string(comm->rank()) + "] ";
  Status started = process.Start(argv, workdir.string(), CommandEnvironment(program, context), prefix);

  std::unique_ptr<LeaderRelay> relay;
  if (leader) relay = std::make_unique<LeaderRelay>(client, options, trial, checkpoint_dir.string());
  RankState mine;
  if (!started.ok()) {
    mine.exited = true;
    mine.reason = started.message();
  }
  auto handle = [&](const std::vector<CommandEvent>& events) {
    for (const CommandEvent& event : events) {
      if (event.kind == CommandEvent::Kind::kStdoutLine) {
        auto line = ParseReportLine(event.line);
        if (!line.ok()) {
          HPS_LOG(WARNING) << prefix << line.status().message();
        } else if (*line && relay) {
          relay->Report((*line)->step, (*line)->values);
        }
        continue;
      }
      auto request = ParseScriptRequest(event.line);
      if (!request.ok()) {
        HPS_LOG(WARNING) << prefix << "bad request from the script: " << request.status();
        process.Reply(proto::DumpJson(Json{{"error", request.status().ToString()}}));
      } else if (request->op == ScriptRequest::Op::kComplete) {
        if (relay) relay->Complete(request->values);
        process.Reply(R"({"ok": true})");
      } else {
        process.Reply(proto::DumpJson(relay ? relay->Report(request->step, request->values)
                                            : Json{{"stop", false}, {"reason", ""}}));
      }
    }
  };

  std::vector<RankState> states;
  while (true) {
    if (!mine.exited) {
      handle(process.WaitEvents(kTickSeconds));
      if (auto exit = process.Poll()) {
        handle(process.Finish(kDrainSeconds));
        mine.exited = true;
        mine.ok = exit->ok();
        mine.exit_time =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        if (!mine.ok) {
          mine.reason = "command " + exit->Describe();
          const std::string tail = process.StderrTail(
              options.stderr_tail_lines, proto::kMaxErrorBytes / (2 * comm->size()));
          if (!tail.empty()) mine.reason += "; last lines of stderr:\n" + tail;
        }
      }
    } else {
      std::this_thread::sleep_for(std::chrono::duration<double>(kTickSeconds));
    }
    if (relay) {
      relay->Tick(stop_requested.load());
      mine.stop = relay->stop();
    }
    if (comm->size() > 1) {
      HPS_ASSIGN_OR_RETURN(std::vector<std::string> all, comm->AllgatherBytes(mine.Encode()));
      states.clear();
      for (const std::string& s : all) states.push_back(RankState::Decode(s));
    } else {
      states = {mine};
    }
    const std::string& stop = states[0].stop;
    int failed = -1;
    for (size_t r = 0; r < states.size() && failed < 0; ++r) {
      if (states[r].exited && !states[r].ok) failed = static_cast<int>(r);
    }
    const bool all_ok = std::all_of(states.begin(), states.end(),
                                    [](const RankState& s) { return s.exited && s.ok; });
    if (!stop.empty() || failed >= 0 || all_ok) {
      if (!mine.exited) process.Terminate(program.stop_grace_seconds);
      if (!stop.empty() && failed < 0 && !all_ok) {
        result.end = CommandTrialResult::End::kStopped;
      } else if (failed >= 0) {
        result.end = CommandTrialResult::End::kFailed;
      } else {
        result.end = CommandTrialResult::End::kCompleted;
      }
      if (leader) {
        if (result.end == CommandTrialResult::End::kFailed && !stop.empty()) {
          // Failing after a stop (the script died of the SIGTERM) is a stop.
          result.end = CommandTrialResult::End::kStopped;
        }
        if (result.end == CommandTrialResult::End::kFailed) {
          // Every rank seen failing, the first to fail first: when one rank
          // dies, its peers often fail next with a lost connection.
          std::vector<int> order;
          for (size_t r = 0; r < states.size(); ++r) {
            if (states[r].exited && !states[r].ok) order.push_back(static_cast<int>(r));
          }
          std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return states[a].exit_time < states[b].exit_time;
          });
          std::string reason;
          for (int r : order) {
            if (!reason.empty()) reason += "\n";
            if (comm->size() > 1) reason += "rank " + std::to_string(r) + ": ";
            reason += states[r].reason;
          }
          HPS_LOG(WARNING) << "trial " << trial.id << " failed: " << reason;
          auto f = client->Fail(trial.id, {options.client_id, reason});
          if (!f.ok()) HPS_LOG(WARNING) << "fail trial " << trial.id << ": " << f.status();
        }
      }
      break;
    }
  }
  fs::remove_all(checkpoint_dir, ec);
  if (!leader) return result;

  if (result.end == CommandTrialResult::End::kStopped) {
    if (relay->release()) {
      auto released = client->Release(trial.id, options.client_id);
      if (!released.ok()) HPS_LOG(WARNING) << "release trial " << trial.id << ": " << released.status();
    }
    HPS_LOG(INFO) << "trial " << trial.id << " stopped: " << relay->stop();
  } else if (result.end == CommandTrialResult::End::kCompleted) {
    const proto::Values values = relay->FinalValues();
    if (!values.count(metric)) {
      std::string known;
      for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
      result.end = CommandTrialResult::End::kFailed;
      auto f = client->Fail(trial.id, {options.client_id,
                                       "the command exited 0 but reported [" + known +
                                           "], not the sweep metric \"" + metric + "\""});
      if (!f.ok()) HPS_LOG(WARNING) << "fail trial " << trial.id << ": " << f.status();
    } else {
      auto done = client->Complete(trial.id, {options.client_id, values});
      if (!done.ok()) HPS_LOG(WARNING) << "complete trial " << trial.id << ": " << done.status();
      HPS_LOG(INFO) << "trial " << trial.id << " completed: " << metric << "=" << values.at(metric);
    }
  }
  return result;
}

}  // namespace hpsweep::worker
