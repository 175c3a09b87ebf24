#include "coordinator/coordinator.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <future>

#include "common/logging.h"
#include "coordinator/store/rocks_store.h"

namespace hpsweep::coordinator {

namespace fs = std::filesystem;
namespace net = boost::asio;

// Holds the background tasks (model fits) of one service. A service being
// rebuilt off the strand must not have a fit deliver into it before it is
// swapped in (Recover is still filling it), so its gate opens at the swap; a
// replaced service's gate closes, so no new fit can reach a searcher that is
// about to be destroyed. Thread-safe.
class Coordinator::TaskGate {
 public:
  explicit TaskGate(net::thread_pool* pool) : pool_(pool) {}

  void Post(Task task) {
    std::unique_lock<std::mutex> lock(mu_);
    if (state_ == State::kHeld) return held_.push_back(std::move(task));
    if (state_ == State::kClosed) return;  // the service is being replaced
    lock.unlock();
    net::post(*pool_, std::move(task));
  }
  void Open() {
    std::vector<Task> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      state_ = State::kOpen;
      held.swap(held_);
    }
    for (Task& task : held) net::post(*pool_, std::move(task));
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = State::kClosed;
    held_.clear();
  }

 private:
  enum class State { kHeld, kOpen, kClosed };
  net::thread_pool* const pool_;
  std::mutex mu_;
  State state_ = State::kHeld;
  std::vector<Task> held_;
};

namespace {

// The data directory holds every trial, checkpoint and the API token: only
// the coordinator's user may read it. Tightens what is looser, with a warning
// (directories 0700, files 0600); a failure to tighten is logged, not fatal.
void MakePrivate(const fs::path& dir) {
  std::error_code ec;
  int tightened = 0;
  auto tighten = [&](const fs::path& path, fs::perms wanted) {
    const fs::file_status status = fs::symlink_status(path, ec);
    if (ec || fs::is_symlink(status)) return;
    const fs::perms loose = fs::perms::group_all | fs::perms::others_all;
    if ((status.permissions() & loose) == fs::perms::none) return;
    fs::permissions(path, wanted, fs::perm_options::replace, ec);
    if (ec) {
      HPS_LOG(WARNING) << "cannot make " << path.string() << " private: " << ec.message();
      return;
    }
    ++tightened;
  };
  tighten(dir, fs::perms::owner_all);
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    tighten(it->path(), it->is_directory(ec) ? fs::perms::owner_all
                                             : fs::perms::owner_read | fs::perms::owner_write);
  }
  if (tightened > 0) {
    HPS_LOG(WARNING) << "data directory " << dir.string() << " was readable by other users; "
                     << "made " << tightened << " entries private to its owner (0700/0600)";
  }
}

// An I/O error opening the store (full or failing disk), as opposed to a
// lock held by another coordinator, a schema mismatch or corruption.
bool IsStorageIoError(const Status& status) {
  return status.code() == StatusCode::kUnavailable;
}

}  // namespace

Status CoordinatorOptions::Validate() const {
  if (data_dir.empty()) return InvalidArgumentError("a data directory is required (--data-dir)");
  if (blocking_threads < 1) return InvalidArgumentError("blocking_threads must be >= 1");
  HPS_RETURN_IF_ERROR(http.Validate());
  HPS_RETURN_IF_ERROR(service.Validate());
  HPS_RETURN_IF_ERROR(events.Validate());
  return store.Validate();
}

StatusOr<std::string> GenerateToken() {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  unsigned char bytes[32];
  if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof(bytes))) {
    return UnavailableError("cannot read /dev/urandom to generate a token");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token.push_back(kHex[b >> 4]);
    token.push_back(kHex[b & 15]);
  }
  return token;
}

Coordinator::Coordinator(CoordinatorOptions options, Clock* clock)
    : options_(std::move(options)),
      clock_(clock),
      service_strand_(net::make_strand(ioc_)),
      probe_log_(std::chrono::minutes(1), 1) {}

Coordinator::~Coordinator() {
  if (started_) Stop();
}

StatusOr<std::unique_ptr<Store>> Coordinator::OpenStore() {
  const std::string dir = StoreDirIn(options_.data_dir);
  StatusOr<std::unique_ptr<Store>> store = OpenRocksStore(dir, options_.store);
  if (store.ok() || !IsStorageIoError(store.status())) return store;
  // A full disk must not keep the data from being read.
  const Status failure = store.status();
  StatusOr<std::unique_ptr<Store>> read_only =
      OpenRocksStoreReadOnly(dir, options_.store, failure.message());
  if (!read_only.ok()) {
    return Status(failure.code(), failure.message() + " (opening it read-only failed too: " +
                                      read_only.status().message() + ")");
  }
  HPS_LOG(ERROR) << "opened " << dir << " read-only: " << failure
                 << "; serving reads, refusing writes until restarted with working storage";
  storage_.Degrade(UnavailableError("opened read-only because the read-write open failed (" +
                                    failure.message() +
                                    "); restart the coordinator once storage works"));
  return read_only;
}

std::unique_ptr<SweepService> Coordinator::NewService(const std::shared_ptr<TaskGate>& gate) {
  auto service = std::make_unique<SweepService>(clock_, options_.service, options_.validator,
                                                options_.searcher_factory);
  service->SetSuggestionExecutor(
      {[gate](Task task) { gate->Post(std::move(task)); },
       [this](Task task) { net::post(service_strand_, std::move(task)); }});
  return service;
}

void Coordinator::OnCommitFailure(const Status& status) {
  if (!storage_.Degrade(status)) return;
  HPS_LOG(ERROR) << "storage failed (" << status << "); writes get 503 until a test write "
                 << "succeeds, reads are served";
  {
    std::lock_guard<std::mutex> lock(probe_mu_);
    probe_needed_ = true;
  }
  probe_cv_.notify_all();
}

bool Coordinator::ProbeSleep(std::chrono::milliseconds interval) {
  std::unique_lock<std::mutex> lock(probe_mu_);
  probe_cv_.wait_for(lock, interval, [this] { return probe_stop_; });
  return !probe_stop_;
}

void Coordinator::ProbeLoop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(probe_mu_);
      probe_cv_.wait(lock, [this] { return probe_stop_ || probe_needed_; });
      if (probe_stop_) return;
      probe_needed_ = false;
    }
    // Memory is ahead of the store by what failed: serve reads from what is
    // durable. Writes stay refused, so the store cannot change meanwhile.
    Status rebuilt = RebuildService(/*resume_writes=*/false);
    if (rebuilt.code() == StatusCode::kCancelled) return;
    if (!rebuilt.ok()) HPS_LOG(ERROR) << "cannot rebuild the state from storage: " << rebuilt;
    while (true) {
      if (!ProbeSleep(options_.storage_probe_interval)) return;
      Status probe = store_->Resume();
      if (probe.ok()) probe = RebuildService(/*resume_writes=*/true);
      if (probe.code() == StatusCode::kCancelled) return;
      if (probe.ok()) break;
      HPS_LOG_LIMITED(WARNING, probe_log_) << "storage still unavailable: " << probe;
    }
    HPS_LOG(INFO) << "storage works again; state rebuilt from disk, accepting writes";
  }
}

Status Coordinator::RebuildService(bool resume_writes) {
  auto gate = std::make_shared<TaskGate>(suggest_pool_.get());
  std::unique_ptr<SweepService> fresh = NewService(gate);
  HPS_RETURN_IF_ERROR(fresh->Recover(*store_));
  auto swapped = std::make_shared<std::promise<void>>();
  std::future<void> done = swapped->get_future();
  net::post(service_strand_, [this, fresh = std::move(fresh), gate, swapped,
                              resume_writes]() mutable {
    std::shared_ptr<SweepService> old(std::move(service_));
    old->AnswerWaitingAsks();  // asks parked for a fit: "ask again", now of the rebuilt state
    service_ = std::move(fresh);
    api_->SetService(service_.get());
    service_gate_->Close();
    service_gate_ = gate;
    gate->Open();
    if (resume_writes) {
      committer_->Resume();  // what was queued came from the old state: refused
      storage_.Recovered();
    }
    // Fits of the old service that already run deliver to it on this strand;
    // it is destroyed after them.
    net::post(*suggest_pool_, [this, old] { net::post(service_strand_, [old] {}); });
    swapped->set_value();
  });
  while (done.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    std::lock_guard<std::mutex> lock(probe_mu_);
    if (probe_stop_) return CancelledError("the coordinator is stopping");
  }
  return Status();
}

void Coordinator::RegisterMetrics() {
  metrics_.AddCallback("hpsweep_storage_writable", "gauge",
                       "1 while the store accepts writes; 0 while degraded (writes get 503, "
                       "reads are served; /healthz says why).",
                       [this] { return storage_.writable() ? 1.0 : 0.0; });
  metrics_.AddCallback("hpsweep_storage_failures_total", "counter",
                       "Times the coordinator became read-only after a storage failure.",
                       [this] { return static_cast<double>(storage_.failures()); });
  metrics_.AddCallback("hpsweep_storage_recoveries_total", "counter",
                       "Times storage worked again and writes resumed.",
                       [this] { return static_cast<double>(storage_.recoveries()); });
  auto server_stat = [this](int64_t HttpServerStats::*field) {
    return [this, field] { return static_cast<double>(server_->Stats().*field); };
  };
  metrics_.AddCallback("hpsweep_http_connections", "gauge", "Open HTTP connections.",
                       server_stat(&HttpServerStats::open_connections));
  metrics_.AddCallback("hpsweep_http_connections_max", "gauge",
                       "The connection cap in force (--max-connections, within the open-file "
                       "limit).",
                       server_stat(&HttpServerStats::max_connections));
  metrics_.AddCallback("hpsweep_http_connections_accepted_total", "counter",
                       "HTTP connections accepted.", server_stat(&HttpServerStats::accepted));
  metrics_.AddCallback("hpsweep_http_connections_evicted_total", "counter",
                       "Idle HTTP connections closed to make room at the connection cap.",
                       server_stat(&HttpServerStats::evicted));
  metrics_.AddCallback("hpsweep_http_accept_errors_total", "counter",
                       "Failed accept() calls (each followed by a backoff).",
                       server_stat(&HttpServerStats::accept_errors));
}

Status Coordinator::LoadOrCreateToken() {
  const fs::path path = fs::path(options_.data_dir) / "token";
  if (!options_.token.empty()) {
    token_ = options_.token;
    return Status();
  }
  std::ifstream in(path);
  if (in && std::getline(in, token_) && !token_.empty()) return Status();
  HPS_ASSIGN_OR_RETURN(token_, GenerateToken());
  // Created with mode 0600 atomically: never world-readable, even briefly.
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return UnavailableError("cannot create " + tmp + ": " + std::strerror(errno));
  const std::string line = token_ + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError("cannot write the token file " + path.string());
  }
  HPS_LOG(INFO) << "generated an API token in " << path.string();
  return Status();
}

std::string Coordinator::url() const {
  std::string host = options_.http.host == "0.0.0.0" ? "127.0.0.1" : options_.http.host;
  return "http://" + host + ":" + std::to_string(port());
}

Status Coordinator::Start() {
  HPS_RETURN_IF_ERROR(options_.Validate());
  // Everything the coordinator and RocksDB create is private to this user.
  ::umask(077);
  std::error_code ec;
  fs::create_directories(options_.data_dir, ec);
  if (ec) {
    return UnavailableError("cannot create data directory " + options_.data_dir + ": " +
                            ec.message());
  }
  MakePrivate(options_.data_dir);
  HPS_RETURN_IF_ERROR(LoadOrCreateToken());
  HPS_ASSIGN_OR_RETURN(store_, OpenStore());
  suggest_pool_ = std::make_unique<net::thread_pool>(1);
  service_gate_ = std::make_shared<TaskGate>(suggest_pool_.get());
  service_gate_->Open();
  service_ = NewService(service_gate_);
  HPS_RETURN_IF_ERROR(service_->Recover(*store_));
  committer_ = std::make_unique<GroupCommitter>(
      store_.get(), clock_, [this](const Status& s) { OnCommitFailure(s); });
  events_ = std::make_unique<EventHub>(store_.get(), options_.events);
  HPS_RETURN_IF_ERROR(events_->Start());
  committer_->SetObserver([hub = events_.get()](const WriteSet& w) { hub->Publish(w); });
  blocking_ = std::make_unique<net::thread_pool>(options_.blocking_threads);
  ApiOptions api_options;
  api_options.token = token_;
  api_options.storage = &storage_;
  api_options.token_for_reads = options_.token_for_reads;
  api_options.events = events_.get();
  api_ = std::make_unique<Api>(std::move(api_options), service_.get(), service_strand_,
                               committer_.get(), store_.get(), blocking_.get(), &metrics_, clock_);
  server_ = std::make_unique<HttpServer>(ioc_, api_.get(), options_.http);
  HPS_RETURN_IF_ERROR(server_->Start());
  RegisterMetrics();
  lease_timer_ = std::make_unique<net::steady_timer>(service_strand_);
  ScheduleLeaseScan();
  io_thread_ = std::thread([this] { ioc_.run(); });
  probe_thread_ = std::thread([this] { ProbeLoop(); });
  started_ = true;

  // Written whole or not at all (tmp + rename); on a full disk it may fail,
  // and the URL is in the log line below.
  const fs::path endpoint = fs::path(options_.data_dir) / "endpoint";
  const fs::path tmp = endpoint.string() + ".tmp";
  bool written = false;
  {
    std::ofstream out(tmp);
    out << url() << "\n";
    out.flush();
    written = static_cast<bool>(out);
  }
  if (!written || std::rename(tmp.c_str(), endpoint.c_str()) != 0) {
    fs::remove(tmp, ec);
    HPS_LOG(WARNING) << "cannot write " << endpoint.string() << " (" << std::strerror(errno)
                     << "); clients need --url " << url();
  }
  HPS_LOG(INFO) << "coordinator listening on " << url() << " (data in " << options_.data_dir
                << ")" << (storage_.writable() ? "" : "; READ-ONLY: " + storage_.reason());
  return Status();
}

void Coordinator::ScheduleLeaseScan() {
  lease_timer_->expires_after(options_.lease_scan_interval);
  lease_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: stopping
    // Degraded: nothing may change until the state is rebuilt from disk.
    if (storage_.writable()) {
      WriteSet writes = service_->ExpireLeases();
      if (!writes.empty()) committer_->Submit(std::move(writes), [](Status s) { s.IgnoreError(); });
      service_->ExpireWaits();  // after the expiries' writes: storage stays a prefix of memory
    }
    ScheduleLeaseScan();
  });
}

void Coordinator::Stop(std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  if (!started_ || stopped_) return;
  HPS_LOG(INFO) << "coordinator stopping";
  {
    std::lock_guard<std::mutex> probe_lock(probe_mu_);
    probe_stop_ = true;
  }
  probe_cv_.notify_all();
  if (probe_thread_.joinable()) probe_thread_.join();  // before the strand stops
  server_->StopAccepting();
  events_->Shutdown();  // live streams end, so that they do not hold up the drain below
  net::post(service_strand_, [this] {
    lease_timer_->cancel();
    service_->AnswerWaitingAsks();  // asks waiting for a fit: "ask again"
  });
  const int64_t deadline = clock_->MonotonicMicros() + grace.count() * 1000;
  while (server_->in_flight() > 0 && clock_->MonotonicMicros() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  committer_->Flush();
  ioc_.stop();
  if (io_thread_.joinable()) io_thread_.join();
  blocking_->join();
  suggest_pool_->join();  // a fit in progress finishes; its result is dropped
  committer_.reset();
  api_.reset();
  server_.reset();
  events_.reset();
  store_.reset();  // closes RocksDB; every acknowledged write is already synced
  std::error_code ec;
  fs::remove(fs::path(options_.data_dir) / "endpoint", ec);
  stopped_ = true;
  started_ = false;
  stopped_cv_.notify_all();
  HPS_LOG(INFO) << "coordinator stopped";
}

void Coordinator::Wait() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  stopped_cv_.wait(lock, [this] { return stopped_; });
}

}  // namespace hpsweep::coordinator
