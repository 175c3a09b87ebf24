// End-to-end hardening tests against real processes (issue 11, the process
// cases): a full disk (8), a flood of idle connections (9), a private data
// directory and workers that fail loudly (10), and /metrics under promtool.
//
// The disk-full test mounts a small tmpfs and needs root (CI runs as root);
// elsewhere it is skipped with a message saying so.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/http_client.h"
#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "proto/api_client.h"
#include "tests/coordinator_process.h"

namespace hpsweep {
namespace {

namespace fs = std::filesystem;
using proto::Json;

// A coordinator process. It is found through its "listening on URL" log line
// rather than the endpoint file, which cannot be written on a full disk.
class CoordinatorUnderTest {
 public:
  CoordinatorUnderTest(std::string data_dir, std::string log)
      : dir_(std::move(data_dir)), log_(std::move(log)) {}

  // Runs `wrapper... hpsweep-coordinator --data-dir DIR --port 0 extra...`
  // and waits until it serves.
  void Start(const std::vector<std::string>& extra = {},
             const std::vector<std::string>& wrapper = {}) {
    const size_t log_before = ReadFile(log_).size();
    std::vector<std::string> argv = wrapper;
    argv.insert(argv.end(),
                {Runfile("coordinator/hpsweep-coordinator"), "--data-dir", dir_, "--port", "0"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    ASSERT_TRUE(process_.Start(argv, log_).ok());
    constexpr std::string_view kListening = "listening on http://";
    for (int i = 0; i < 6000 && url_.empty(); ++i) {
      const std::string text = ReadFile(log_).substr(log_before);
      if (const size_t at = text.find(kListening); at != std::string::npos) {
        const size_t begin = at + kListening.size() - std::string_view("http://").size();
        url_ = text.substr(begin, text.find_first_of(" \n", begin) - begin);
        break;
      }
      ASSERT_EQ(process_.Wait(0.01), -1) << "the coordinator exited:\n" << text;
    }
    ASSERT_FALSE(url_.empty()) << "the coordinator did not come up:\n" << Log();
    std::ifstream token(dir_ + "/token");
    std::getline(token, token_);
    auto http = HttpClient::Create(url_, token_);
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = std::move(*http);
  }

  // SIGTERM (a graceful stop); the exit status.
  int Stop() {
    http_.reset();
    url_.clear();
    return process_.Kill(SIGTERM);
  }
  bool running() { return process_.Wait(0) == -1; }

  HttpReply Send(std::string_view method, const std::string& target, const std::string& body = "") {
    auto reply = http_->Send(method, target, body);
    EXPECT_TRUE(reply.ok()) << method << " " << target << ": " << reply.status();
    return reply.ok() ? *reply : HttpReply{};
  }
  // The trial's metric steps as stored.
  std::set<int64_t> StoredSteps(uint64_t trial_id) {
    const HttpReply reply = Send("GET", "/api/v1/trials/" + std::to_string(trial_id) + "/metrics");
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::set<int64_t> steps;
    const Json json = Json::parse(reply.body, nullptr, false);
    if (json.is_object()) {
      for (const Json& point : json.value("points", Json::array())) {
        steps.insert(point["step"].get<int64_t>());
      }
    }
    return steps;
  }

  std::string Log() const { return ReadFile(log_); }
  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  uint16_t port() const { return static_cast<uint16_t>(std::stoi(url_.substr(url_.rfind(':') + 1))); }

 private:
  std::string dir_;
  std::string log_;
  Subprocess process_;
  std::string url_;
  std::string token_;
  std::unique_ptr<HttpClient> http_;
};

std::string ExternalSweep(const std::string& name) {
  return Json{{"name", name},
              {"method", "random"},
              {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
              {"max_trials", 1000},
              {"parameters", {{"x", {{"min", -2.0}, {"max", 2.0}}}}},
              {"program", {{"external", true}}}}
      .dump();
}

std::string Report(int64_t step) {
  return Json{{"client_id", "c"}, {"step", step}, {"values", {{"loss", 1.0 / (step + 1)}}}}.dump();
}

// Creates a sweep and leases its first trial to client "c"; the trial id.
uint64_t StartTrial(CoordinatorUnderTest& coordinator) {
  HttpReply created = coordinator.Send("POST", "/api/v1/sweeps", ExternalSweep("resilience"));
  EXPECT_EQ(created.status, 201) << created.body;
  const uint64_t sweep_id = Json::parse(created.body)["id"];
  HttpReply asked = coordinator.Send(
      "POST", "/api/v1/ask",
      Json{{"client_id", "c"}, {"sweep_id", sweep_id}, {"lease_seconds", 3600}}.dump());
  EXPECT_EQ(asked.status, 200) << asked.body;
  return Json::parse(asked.body)["trials"][0]["trial"]["id"];
}

// A tmpfs mounted for the life of the object.
class TmpfsMount {
 public:
  TmpfsMount(std::string path, size_t bytes) : path_(std::move(path)) {
    fs::create_directories(path_);
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (error_.empty()) ::umount2(path_.c_str(), MNT_DETACH);
  }
  // Empty when mounted.
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string error_;
};

// Free bytes of the file system holding `path`.
uint64_t FreeBytes(const std::string& path) {
  struct statvfs info {};
  EXPECT_EQ(::statvfs(path.c_str(), &info), 0) << std::strerror(errno);
  return static_cast<uint64_t>(info.f_bavail) * info.f_frsize;
}

// Appends to `path` until at most `leave` bytes are free on its file system;
// with `leave` 0, until it is full (ENOSPC).
void FillDisk(const std::string& path, uint64_t leave = 0) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const std::string chunk(64 << 10, 'x');
  size_t size = chunk.size();
  while (size > 0 && (leave == 0 || FreeBytes(path) > leave + chunk.size())) {
    if (::write(fd, chunk.data(), size) < 0) {
      ASSERT_EQ(errno, ENOSPC) << std::strerror(errno);
      size /= 2;  // fill the last pages too
    }
  }
  ::close(fd);
}

// Case 8: store errors are 503 with a clear message, the coordinator stays up
// and serves reads, writes resume once space is freed with every
// acknowledged result intact, and a restart on the full disk comes up
// read-only.
TEST(ResilienceE2eTest, FullDiskRefusesWritesServesReadsAndRecovers) {
  const std::string base = MakeTempDir("disk_full");
  // RocksDB resumes after a full disk once a memtable's worth (64 MiB) is
  // free, so the disk is larger than that; ballast keeps the coordinator from
  // preallocating its write-ahead log there (it would absorb the test's
  // writes), and goes with the fill.
  TmpfsMount disk(base + "/disk", 128 << 20);
  if (!disk.error().empty()) {
    GTEST_SKIP() << "cannot mount a tmpfs to fill (" << disk.error()
                 << "); this test needs root, as in CI";
  }
  const std::string data = base + "/disk/data";
  const std::string fill = base + "/disk/fill";
  const std::string ballast = base + "/disk/ballast";
  ASSERT_NO_FATAL_FAILURE(FillDisk(ballast, 16 << 20));
  CoordinatorUnderTest coordinator(data, base + "/coordinator.log");
  ASSERT_NO_FATAL_FAILURE(coordinator.Start());
  const uint64_t trial = StartTrial(coordinator);
  const std::string report = "/api/v1/trials/" + std::to_string(trial) + "/report";

  std::set<int64_t> acknowledged;
  int64_t step = 0;
  for (; step < 5; ++step) {
    ASSERT_EQ(coordinator.Send("POST", report, Report(step)).status, 200);
    acknowledged.insert(step);
  }
  ASSERT_NO_FATAL_FAILURE(FillDisk(fill));
  // Space RocksDB set aside before the disk filled takes a few more writes.
  HttpReply refused;
  for (int i = 0; i < 20000 && refused.status != 503; ++i, ++step) {
    HttpReply reply = coordinator.Send("POST", report, Report(step));
    if (reply.status == 200) acknowledged.insert(step);
    else refused = reply;
    ASSERT_TRUE(reply.status == 200 || reply.status == 503) << reply.status << " " << reply.body;
  }
  ASSERT_EQ(refused.status, 503) << "writes never failed on the full disk";
  EXPECT_NE(refused.body.find("storage unavailable"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.headers.count("retry-after"), 1u);

  // Degraded: writes refused, reads served, the process up.
  HttpReply again = coordinator.Send("POST", report, Report(step++));
  EXPECT_EQ(again.status, 503) << again.body;
  EXPECT_NE(again.body.find("storage unavailable"), std::string::npos) << again.body;
  EXPECT_EQ(coordinator.Send("POST", "/api/v1/sweeps", ExternalSweep("more")).status, 503);
  HttpReply health = coordinator.Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("\"degraded\""), std::string::npos) << health.body;
  EXPECT_EQ(coordinator.Send("GET", "/api/v1/sweeps").status, 200);
  EXPECT_EQ(coordinator.Send("GET", "/api/v1/trials/" + std::to_string(trial)).status, 200);
  EXPECT_NE(coordinator.Send("GET", "/metrics").body.find("hpsweep_storage_writable 0"),
            std::string::npos);
  EXPECT_TRUE(coordinator.running());

  // Space freed: writes resume by themselves.
  fs::remove(fill);
  fs::remove(ballast);
  bool resumed = false;
  for (int i = 0; i < 600 && !resumed; ++i) {
    HttpReply reply = coordinator.Send("POST", report, Report(step));
    resumed = reply.status == 200;
    if (resumed) acknowledged.insert(step++);
    else std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(resumed) << "writes did not resume after space was freed:\n" << coordinator.Log();
  EXPECT_NE(coordinator.Send("GET", "/healthz").body.find("\"ok\""), std::string::npos);
  std::set<int64_t> stored = coordinator.StoredSteps(trial);
  for (int64_t s : acknowledged) EXPECT_EQ(stored.count(s), 1u) << "acknowledged step " << s << " lost";

  // A restart while the disk is full comes up read-only.
  EXPECT_EQ(coordinator.Stop(), 0) << coordinator.Log();
  ASSERT_NO_FATAL_FAILURE(FillDisk(fill));
  ASSERT_NO_FATAL_FAILURE(coordinator.Start());
  EXPECT_NE(coordinator.Send("GET", "/healthz").body.find("\"degraded\""), std::string::npos);
  EXPECT_EQ(coordinator.Send("POST", report, Report(step)).status, 503);
  stored = coordinator.StoredSteps(trial);
  for (int64_t s : acknowledged) EXPECT_EQ(stored.count(s), 1u) << "acknowledged step " << s << " lost";
  EXPECT_EQ(coordinator.Stop(), 0) << coordinator.Log();

  // Space freed, restarted: everything acknowledged is there and writes work.
  fs::remove(fill);
  ASSERT_NO_FATAL_FAILURE(coordinator.Start());
  EXPECT_EQ(coordinator.Send("POST", report, Report(step)).status, 200);
  stored = coordinator.StoredSteps(trial);
  for (int64_t s : acknowledged) EXPECT_EQ(stored.count(s), 1u) << "acknowledged step " << s << " lost";
  EXPECT_EQ(coordinator.Stop(), 0) << coordinator.Log();
}

// Case 9: at the usual 1,024 open-file limit, 1,100 idle connections neither
// keep a normal request from being answered nor flood the log.
TEST(ResilienceE2eTest, IdleConnectionFloodNeitherStarvesRequestsNorFloodsTheLog) {
  constexpr int kIdle = 1100;
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < kIdle + 200) {
    GTEST_SKIP() << "this test holds " << kIdle << " sockets; the hard open-file limit is "
                 << limit.rlim_max;
  }
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? 65536 : limit.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0) << std::strerror(errno);

  const std::string dir = MakeTempDir("connections");
  CoordinatorUnderTest coordinator(dir + "/data", dir + "/coordinator.log");
  ASSERT_NO_FATAL_FAILURE(coordinator.Start({}, {"prlimit", "--nofile=1024:1024", "--"}));
  const std::string start_log = coordinator.Log();
  const size_t log_lines_before = std::count(start_log.begin(), start_log.end(), '\n');

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(coordinator.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> idle;
  for (int i = 0; i < kIdle; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    idle.push_back(fd);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
        << "connection " << i << ": " << std::strerror(errno);
  }

  auto client = HttpClient::Create(coordinator.url(), coordinator.token());
  ASSERT_TRUE(client.ok());
  auto listed = (*client)->Send("GET", "/api/v1/sweeps");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->status, 200);
  auto created = (*client)->Send("POST", "/api/v1/sweeps", ExternalSweep("during-flood"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->status, 201) << created->body;

  auto metrics = (*client)->Send("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  auto value = [&](const std::string& name) {
    const size_t at = metrics->body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(metrics->body.substr(at + name.size() + 2));
  };
  EXPECT_EQ(value("hpsweep_http_connections_max"), 512);
  // An accept over the cap closes the oldest idle connection; a few such
  // closes may still be on their way.
  EXPECT_LE(value("hpsweep_http_connections"), 512 + 4);
  EXPECT_GT(value("hpsweep_http_connections_evicted_total"), 0);
  for (int fd : idle) ::close(fd);

  EXPECT_TRUE(coordinator.running());
  const std::string log = coordinator.Log();
  const size_t new_lines = std::count(log.begin(), log.end(), '\n') - log_lines_before;
  EXPECT_LT(new_lines, 20u) << "the log grew by " << new_lines << " lines:\n"
                            << log.substr(0, 4000);
  EXPECT_EQ(coordinator.Stop(), 0);
}

// Case 10: the data directory and everything in it are private to the
// coordinator's user, including what an earlier version left readable.
TEST(ResilienceE2eTest, DataDirectoryIsPrivateToItsOwner) {
  const std::string dir = MakeTempDir("private");
  const std::string data = dir + "/data";
  fs::create_directories(data);
  fs::permissions(data, fs::perms(0755));
  std::ofstream(data + "/notes.txt") << "left by an earlier version\n";
  fs::permissions(data + "/notes.txt", fs::perms(0644));

  CoordinatorUnderTest coordinator(data, dir + "/coordinator.log");
  ASSERT_NO_FATAL_FAILURE(coordinator.Start());
  StartTrial(coordinator);  // so that RocksDB has written files
  int checked = 0;
  auto private_mode = [&](const fs::path& path) {
    const fs::perms perms = fs::status(path).permissions();
    EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none)
        << path << " has mode " << std::oct << static_cast<int>(perms);
    ++checked;
  };
  EXPECT_EQ(fs::status(data).permissions(), fs::perms(0700));
  for (const auto& entry : fs::recursive_directory_iterator(data)) private_mode(entry.path());
  EXPECT_GT(checked, 5);
  EXPECT_NE(coordinator.Log().find("made 2 entries private"), std::string::npos)
      << coordinator.Log();
  EXPECT_EQ(coordinator.Stop(), 0);
}

// Starts a one-rank worker job; its exit status (-1: still running after 180 s).
int RunWorker(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv = {"mpirun", "--allow-run-as-root", "--oversubscribe",
                                   "--bind-to", "none", "-np", "1",
                                   Runfile("worker/hpsweep-worker")};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess worker;
  Status started = worker.Start(argv, log, MpiTestEnvironment());
  EXPECT_TRUE(started.ok()) << started;
  return started.ok() ? worker.Wait(180) : -1;
}

// Case 10: a worker that cannot do its job says so and exits non-zero, so
// that Slurm and CI see the failure.
TEST(ResilienceE2eTest, WorkerExitsNonZeroOnABadToken) {
  const std::string dir = MakeTempDir("worker_bad_token");
  CoordinatorUnderTest coordinator(dir + "/data", dir + "/coordinator.log");
  ASSERT_NO_FATAL_FAILURE(coordinator.Start());
  const std::string token_file = dir + "/wrong-token";
  std::ofstream(token_file) << "not-the-token\n";
  const int status = RunWorker({"--coordinator", coordinator.url(), "--token-file", token_file,
                                "--idle-wait", "30"},
                               dir + "/worker.log");
  const std::string log = ReadFile(dir + "/worker.log");
  EXPECT_NE(status, 0) << log;
  EXPECT_NE(status, -1) << "the worker kept running:\n" << log;
  EXPECT_NE(log.find("refused the gang"), std::string::npos) << log;
  EXPECT_NE(log.find("UNAUTHENTICATED"), std::string::npos) << log;
  EXPECT_EQ(coordinator.Stop(), 0);
}

TEST(ResilienceE2eTest, WorkerExitsNonZeroWhenTheCoordinatorStaysUnreachable) {
  const std::string dir = MakeTempDir("worker_unreachable");
  // A port nothing listens on: bound, then released.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  const int status = RunWorker({"--coordinator", url, "--unreachable-wait", "2", "--idle-wait", "600"},
                               dir + "/worker.log");
  const std::string log = ReadFile(dir + "/worker.log");
  EXPECT_NE(status, 0) << log;
  EXPECT_NE(status, -1) << "the worker kept running:\n" << log;
  EXPECT_NE(log.find("unreachable for"), std::string::npos) << log;
}

TEST(ResilienceE2eTest, WorkerExitsNonZeroOnBadFlags) {
  const std::string dir = MakeTempDir("worker_bad_flags");
  const int status = RunWorker({"--coordinator", "http://127.0.0.1:1", "--gang-size", "two"},
                               dir + "/worker.log");
  const std::string log = ReadFile(dir + "/worker.log");
  EXPECT_NE(status, 0) << log;
  EXPECT_NE(status, -1) << log;
  EXPECT_NE(log.find("--gang-size must be a whole number"), std::string::npos) << log;
}

// /metrics of a coordinator that has served every kind of request passes
// `promtool check metrics` (HELP on every metric, counters end in _total,
// units in names) with nothing to report.
TEST(ResilienceE2eTest, MetricsPassPromtoolWithoutWarnings) {
  const std::string dir = MakeTempDir("promtool");
  Subprocess which;
  ASSERT_TRUE(which.Start({"sh", "-c", "command -v promtool"}, dir + "/which.log").ok());
  ASSERT_EQ(which.Wait(30), 0)
      << "promtool is not installed; tools/setup.sh installs it (Debian package prometheus)";

  CoordinatorUnderTest coordinator(dir + "/data", dir + "/coordinator.log");
  ASSERT_NO_FATAL_FAILURE(coordinator.Start());
  const uint64_t trial = StartTrial(coordinator);
  const std::string prefix = "/api/v1/trials/" + std::to_string(trial);
  EXPECT_EQ(coordinator.Send("POST", prefix + "/report", Report(1)).status, 200);
  EXPECT_EQ(coordinator.Send("POST", prefix + "/complete",
                             Json{{"client_id", "c"}, {"values", {{"loss", 0.5}}}}.dump())
                .status,
            200);
  EXPECT_EQ(coordinator.Send("GET", "/api/v1/nosuch").status, 404);
  EXPECT_EQ(coordinator.Send("GET", "/healthz").status, 200);
  const HttpReply metrics = coordinator.Send("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string text = dir + "/metrics.txt";
  std::ofstream(text) << metrics.body;

  Subprocess promtool;
  ASSERT_TRUE(
      promtool.Start({"sh", "-c", "promtool check metrics < " + text}, dir + "/promtool.log").ok());
  const int status = promtool.Wait(60);
  const std::string report = ReadFile(dir + "/promtool.log");
  EXPECT_EQ(status, 0) << report << "\n--- metrics ---\n" << metrics.body;
  EXPECT_EQ(report, "") << "\n--- metrics ---\n" << metrics.body;
  EXPECT_EQ(coordinator.Stop(), 0);
}

}  // namespace
}  // namespace hpsweep
