#include "coordinator/coordinator.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>

#include "common/logging.h"

namespace hpsweep::coordinator {

namespace fs = std::filesystem;
namespace net = boost::asio;

Status CoordinatorOptions::Validate() const {
  if (data_dir.empty()) return InvalidArgumentError("a data directory is required (--data-dir)");
  if (blocking_threads < 1) return InvalidArgumentError("blocking_threads must be >= 1");
  HPS_RETURN_IF_ERROR(http.Validate());
  HPS_RETURN_IF_ERROR(service.Validate());
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
    : options_(std::move(options)), clock_(clock), service_strand_(net::make_strand(ioc_)) {}

Coordinator::~Coordinator() {
  if (started_) Stop();
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
  std::error_code ec;
  fs::create_directories(options_.data_dir, ec);
  if (ec) {
    return UnavailableError("cannot create data directory " + options_.data_dir + ": " +
                            ec.message());
  }
  HPS_RETURN_IF_ERROR(LoadOrCreateToken());
  HPS_ASSIGN_OR_RETURN(store_, OpenRocksStore((fs::path(options_.data_dir) / "db").string(),
                                              options_.store));
  service_ = std::make_unique<SweepService>(clock_, options_.service, options_.validator,
                                            options_.searcher_factory);
  suggest_pool_ = std::make_unique<net::thread_pool>(1);
  service_->SetSuggestionExecutor(
      {[this](Task task) { net::post(*suggest_pool_, std::move(task)); },
       [this](Task task) { net::post(service_strand_, std::move(task)); }});
  HPS_RETURN_IF_ERROR(service_->Recover(*store_));
  committer_ = std::make_unique<GroupCommitter>(store_.get(), clock_, [this](const Status& s) {
    HPS_LOG(ERROR) << "stopping: in-memory state is ahead of storage (" << s
                   << "); restart to recover from disk";
    std::thread([this] { Stop(std::chrono::milliseconds(0)); }).detach();
  });
  blocking_ = std::make_unique<net::thread_pool>(options_.blocking_threads);
  api_ = std::make_unique<Api>(ApiOptions{token_}, service_.get(), service_strand_,
                               committer_.get(), store_.get(), blocking_.get(), &metrics_, clock_);
  server_ = std::make_unique<HttpServer>(ioc_, api_.get(), options_.http);
  HPS_RETURN_IF_ERROR(server_->Start());
  lease_timer_ = std::make_unique<net::steady_timer>(service_strand_);
  ScheduleLeaseScan();
  io_thread_ = std::thread([this] { ioc_.run(); });
  started_ = true;

  const fs::path endpoint = fs::path(options_.data_dir) / "endpoint";
  std::ofstream(endpoint) << url() << "\n";
  HPS_LOG(INFO) << "coordinator listening on " << url() << " (data in " << options_.data_dir
                << ")";
  return Status();
}

void Coordinator::ScheduleLeaseScan() {
  lease_timer_->expires_after(options_.lease_scan_interval);
  lease_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: stopping
    WriteSet writes = service_->ExpireLeases();
    if (!writes.empty()) committer_->Submit(std::move(writes), [](Status s) { s.IgnoreError(); });
    service_->ExpireWaits();  // after the expiries' writes: storage stays a prefix of memory
    ScheduleLeaseScan();
  });
}

void Coordinator::Stop(std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  if (!started_ || stopped_) return;
  HPS_LOG(INFO) << "coordinator stopping";
  server_->StopAccepting();
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
