#include "tools/cli/results.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/store/mutation.h"
#include "coordinator/search/searcher.h"
#include "coordinator/store/rocks_store.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_manager.h"
#include "proto/api_client.h"

namespace hpsweep::cli {
namespace {

namespace fs = std::filesystem;

class HttpSource final : public ResultSource {
 public:
  explicit HttpSource(std::unique_ptr<proto::CoordinatorClient> client)
      : client_(std::move(client)) {}
  StatusOr<std::vector<proto::Sweep>> ListSweeps() override { return client_->ListSweeps(); }
  StatusOr<proto::Sweep> GetSweep(uint64_t id) override { return client_->GetSweep(id); }
  StatusOr<std::vector<proto::Trial>> Trials(uint64_t sweep_id, const std::string& state) override {
    std::vector<proto::Trial> trials;
    std::string token;
    do {
      HPS_ASSIGN_OR_RETURN(proto::TrialPage page, client_->ListTrials(sweep_id, token, 1000, state));
      trials.insert(trials.end(), page.trials.begin(), page.trials.end());
      token = page.next_page_token;
    } while (!token.empty());
    return trials;
  }
  StatusOr<proto::Trial> GetTrial(uint64_t id) override { return client_->GetTrial(id); }
  StatusOr<std::vector<proto::MetricPoint>> Metrics(uint64_t id) override {
    return client_->TrialMetrics(id);
  }
  StatusOr<std::pair<int64_t, std::string>> Checkpoint(uint64_t id, int64_t step) override {
    return client_->DownloadCheckpoint(id, step);
  }
  std::string Describe() const override { return ""; }

 private:
  std::unique_ptr<proto::CoordinatorClient> client_;
};

// Offline reads never ask for suggestions: runs get a searcher that has none.
class NoSearcher final : public coordinator::Searcher {
 public:
  StatusOr<std::optional<proto::Json>> Suggest(const std::vector<coordinator::TrialView>&,
                                               uint64_t) override {
    return std::optional<proto::Json>();
  }
};

// The store read through a SweepManager recovered from it, so counters, best
// trials and failures are derived exactly as a coordinator derives them.
class StoreSource final : public ResultSource {
 public:
  StoreSource(std::string dir, std::unique_ptr<coordinator::Store> store)
      : dir_(std::move(dir)),
        store_(std::move(store)),
        events_(RealClock::Get()),
        sweeps_(RealClock::Get(), coordinator::SweepManagerOptions(), &events_, nullptr,
                [](const coordinator::SearchSpace&)
                    -> StatusOr<std::unique_ptr<coordinator::Searcher>> {
                  return std::unique_ptr<coordinator::Searcher>(std::make_unique<NoSearcher>());
                }) {}
  Status Recover() { return sweeps_.Recover(*store_); }

  StatusOr<std::vector<proto::Sweep>> ListSweeps() override { return sweeps_.ListSweeps(); }
  StatusOr<proto::Sweep> GetSweep(uint64_t id) override { return sweeps_.GetSweep(id); }
  StatusOr<std::vector<proto::Trial>> Trials(uint64_t sweep_id, const std::string& state) override {
    std::optional<proto::TrialState> filter;
    if (!state.empty()) {
      filter = proto::TrialStateFromName(state);
      if (!filter) return InvalidArgumentError("unknown trial state \"" + state + "\"", "state");
    }
    std::vector<proto::Trial> trials;
    std::string token;
    do {
      HPS_ASSIGN_OR_RETURN(proto::TrialPage page, sweeps_.ListTrials(sweep_id, token, 0, filter));
      trials.insert(trials.end(), page.trials.begin(), page.trials.end());
      token = page.next_page_token;
    } while (!token.empty());
    return trials;
  }
  StatusOr<proto::Trial> GetTrial(uint64_t id) override { return sweeps_.GetTrial(id); }
  StatusOr<std::vector<proto::MetricPoint>> Metrics(uint64_t id) override {
    HPS_RETURN_IF_ERROR(sweeps_.GetTrial(id).status());
    return store_->ReadMetrics(id, INT64_MIN, 0);
  }
  StatusOr<std::pair<int64_t, std::string>> Checkpoint(uint64_t id, int64_t step) override {
    HPS_RETURN_IF_ERROR(sweeps_.GetTrial(id).status());
    HPS_ASSIGN_OR_RETURN(std::unique_ptr<coordinator::CheckpointReader> reader,
                         store_->OpenCheckpoint(id, step));
    std::string bytes, chunk;
    while (true) {
      HPS_ASSIGN_OR_RETURN(bool more, reader->Next(&chunk));
      if (!more) break;
      bytes += chunk;
    }
    return std::make_pair(reader->info().step, std::move(bytes));
  }
  std::string Describe() const override { return "read-only from " + dir_; }

 private:
  std::string dir_;
  std::unique_ptr<coordinator::Store> store_;
  coordinator::EventLog events_;
  coordinator::SweepManager sweeps_;
};

Status CheckDataDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return NotFoundError("data directory " + dir + " does not exist");
  }
  if (!fs::exists(coordinator::StoreDirIn(dir), ec)) {
    return NotFoundError(dir + " holds no hpsweep data (no db/ folder): pass the --data-dir of "
                         "`hpsweep run` or `hpsweep-coordinator`");
  }
  return Status();
}

}  // namespace

bool StoreLockHeld(const std::string& data_dir) {
  // RocksDB locks DIR/db/LOCK with fcntl; F_GETLK reports another process's
  // lock without taking it.
  const std::string lock = (fs::path(coordinator::StoreDirIn(data_dir)) / "LOCK").string();
  const int fd = open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const bool held = fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  close(fd);
  return held;
}

StatusOr<std::unique_ptr<ResultSource>> OpenStoreResultSource(const std::string& data_dir) {
  HPS_RETURN_IF_ERROR(CheckDataDir(data_dir));
  auto store = coordinator::OpenRocksStoreReadOnly(coordinator::StoreDirIn(data_dir), {},
                                                   "opened by the hpsweep CLI to read results");
  if (!store.ok()) {
    return Status(store.status().code(),
                  "cannot read " + data_dir + " read-only: " + store.status().message());
  }
  auto source = std::make_unique<StoreSource>(data_dir, std::move(*store));
  // What the recovery logs is for a coordinator's log, not a reader's output.
  SetMinLogLevel(LogLevel::kWarning);
  Status recovered = source->Recover();
  if (!recovered.ok()) {
    return Status(recovered.code(), "reading " + data_dir + ": " + recovered.message());
  }
  return std::unique_ptr<ResultSource>(std::move(source));
}

StatusOr<std::unique_ptr<ResultSource>> OpenResultSource(const std::string& url,
                                                         const std::string& token,
                                                         const std::string& data_dir_flag,
                                                         const std::string& token_file) {
  std::string data_dir = data_dir_flag;
  if (data_dir.empty()) {
    if (const char* env = std::getenv("HPSWEEP_DATA_DIR")) data_dir = env;
  }
  const char* url_env = std::getenv("HPSWEEP_URL");
  const bool have_url = !url.empty() || (url_env != nullptr && *url_env != '\0');
  if (!have_url && !data_dir.empty()) {
    HPS_RETURN_IF_ERROR(CheckDataDir(data_dir));
    if (!StoreLockHeld(data_dir)) return OpenStoreResultSource(data_dir);
    // A coordinator runs on it: ask it (its answers are current).
    auto connection = proto::ResolveConnection("", token, data_dir, token_file);
    if (!connection.ok()) {
      return FailedPreconditionError(
          "a coordinator holds " + data_dir +
          " (its store is locked) but left no endpoint file to reach it: pass --url");
    }
    HPS_ASSIGN_OR_RETURN(std::unique_ptr<proto::CoordinatorClient> client,
                         proto::CoordinatorClient::Create(*connection));
    return std::unique_ptr<ResultSource>(std::make_unique<HttpSource>(std::move(client)));
  }
  HPS_ASSIGN_OR_RETURN(proto::Connection connection,
                       proto::ResolveConnection(url, token, data_dir, token_file));
  HPS_ASSIGN_OR_RETURN(std::unique_ptr<proto::CoordinatorClient> client,
                       proto::CoordinatorClient::Create(connection));
  return std::unique_ptr<ResultSource>(std::make_unique<HttpSource>(std::move(client)));
}

}  // namespace hpsweep::cli
