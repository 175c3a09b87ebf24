// CoordinatorClient against a canned HTTP server on loopback: every reply
// body, lists included, is read into its proto/ type, and a body that does
// not read is INTERNAL naming the field at fault, never a partial list.
#include "proto/api_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace hpsweep::proto {
namespace {

// Answers each connection's first request with one fixed reply, then closes
// it. One connection at a time, until destroyed.
class CannedServer {
 public:
  // `headers`: extra header lines, each ending in "\r\n".
  CannedServer(int status, std::string body, std::string headers = "")
      : reply_("HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
               headers + "Content-Length: " + std::to_string(body.size()) +
               "\r\nConnection: close\r\n\r\n" + body) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    if (thread_.joinable()) thread_.join();
  }

  std::unique_ptr<CoordinatorClient> Client() {
    auto client = CoordinatorClient::Create({"http://127.0.0.1:" + std::to_string(port_), "t"});
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

 private:
  void Serve() {
    while (true) {
      const int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      // Read the request head and its body, if any.
      std::string in;
      char buf[4096];
      size_t need = std::string::npos;
      while (need == std::string::npos || in.size() < need) {
        const ssize_t n = read(conn, buf, sizeof(buf));
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        const size_t head = in.find("\r\n\r\n");
        if (need == std::string::npos && head != std::string::npos) {
          size_t length = 0;
          const size_t at = in.find("Content-Length: ");
          if (at != std::string::npos && at < head) length = std::stoul(in.substr(at + 16));
          need = head + 4 + length;
        }
      }
      size_t sent = 0;
      while (sent < reply_.size()) {
        const ssize_t n = write(conn, reply_.data() + sent, reply_.size() - sent);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      close(conn);
    }
  }

  const std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

Json ASweep(uint64_t id) {
  Sweep sweep;
  sweep.id = id;
  auto spec = ParseSweepSpec(Json::parse(R"({"name":"s","metric":{"name":"loss"},"method":"random",)"
                                         R"("parameters":{"x":{"min":0,"max":1}},)"
                                         R"("program":{"model":"mlp"}})"));
  EXPECT_TRUE(spec.ok()) << spec.status();
  sweep.spec = *spec;
  return ToJson(sweep);
}

TEST(ApiClientTest, ListSweepsReadsTheListAsSweeps) {
  CannedServer server(200, DumpJson(Json{{"sweeps", {ASweep(1), ASweep(2)}}}));
  auto sweeps = server.Client()->ListSweeps();
  ASSERT_TRUE(sweeps.ok()) << sweeps.status();
  ASSERT_EQ(sweeps->size(), 2u);
  EXPECT_EQ((*sweeps)[1].id, 2u);
  EXPECT_EQ((*sweeps)[1].spec.name, "s");
}

TEST(ApiClientTest, AListBodyThatDoesNotReadNamesTheFieldAtFault) {
  struct Case {
    const char* what;
    Json body;
    const char* field;
  };
  Json bad_state = Json{{"sweeps", {ASweep(1), ASweep(2)}}};
  bad_state["sweeps"][1]["state"] = "sleeping";
  for (const Case& c : {Case{"no list", Json::object(), "/sweeps"},
                        Case{"not a list", Json{{"sweeps", 3}}, "/sweeps"},
                        Case{"a bad entry", bad_state, "/sweeps/1/state"}}) {
    SCOPED_TRACE(c.what);
    CannedServer server(200, DumpJson(c.body));
    auto sweeps = server.Client()->ListSweeps();
    ASSERT_FALSE(sweeps.ok());
    EXPECT_EQ(sweeps.status().code(), StatusCode::kInternal) << sweeps.status();
    EXPECT_EQ(sweeps.status().field(), c.field) << sweeps.status();
    EXPECT_NE(sweeps.status().message().find("unexpected reply from the coordinator"),
              std::string::npos)
        << sweeps.status();
  }
}

TEST(ApiClientTest, TrialMetricsReadsPointsOfTheTrialAskedFor) {
  TrialMetrics m;
  m.trial_id = 7;
  m.points.push_back({1, {{"loss", 0.5}}, 11});
  m.points.push_back({2, {{"loss", 0.25}}, 12});
  {
    CannedServer server(200, DumpJson(ToJson(m)));
    auto points = server.Client()->TrialMetrics(7);
    ASSERT_TRUE(points.ok()) << points.status();
    ASSERT_EQ(points->size(), 2u);
    EXPECT_EQ((*points)[1].values.at("loss"), 0.25);
  }
  {
    CannedServer server(200, DumpJson(ToJson(m)));
    auto points = server.Client()->TrialMetrics(8);
    ASSERT_FALSE(points.ok());
    EXPECT_EQ(points.status().code(), StatusCode::kInternal);
    EXPECT_EQ(points.status().field(), "/trial_id") << points.status();
  }
  {
    Json body = ToJson(m);
    body["points"][1]["step"] = "two";
    CannedServer server(200, DumpJson(body));
    auto points = server.Client()->TrialMetrics(7);
    ASSERT_FALSE(points.ok());
    EXPECT_EQ(points.status().code(), StatusCode::kInternal);
    EXPECT_EQ(points.status().field(), "/points/1/step") << points.status();
  }
}

TEST(ApiClientTest, ListWorkersIsTyped) {
  WorkerList list;
  list.workers.push_back({"gang-0", "worker", 17, {3, 4}});
  CannedServer server(200, DumpJson(ToJson(list)));
  auto workers = server.Client()->ListWorkers();
  ASSERT_TRUE(workers.ok()) << workers.status();
  ASSERT_EQ(workers->workers.size(), 1u);
  EXPECT_EQ(workers->workers[0].active_trials, (std::vector<uint64_t>{3, 4}));
}

TEST(ApiClientTest, ACheckpointStepHeaderThatIsNotAStepIsAnError) {
  {
    CannedServer server(200, "bytes", "X-Checkpoint-Step: 12\r\n");
    auto got = server.Client()->DownloadCheckpoint(1, -1);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->first, 12);
    EXPECT_EQ(got->second, "bytes");
  }
  for (const char* header : {"X-Checkpoint-Step: twelve\r\n", "X-Checkpoint-Step: -3\r\n", ""}) {
    SCOPED_TRACE(header);
    CannedServer server(200, "bytes", header);
    auto got = server.Client()->DownloadCheckpoint(1, -1);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kInternal);
    EXPECT_NE(got.status().message().find("X-Checkpoint-Step"), std::string::npos)
        << got.status();
  }
}

TEST(ApiClientTest, AnErrorBodyIsTheStatusItDescribes) {
  CannedServer server(404, DumpJson(ErrorJson(NotFoundError("no sweep 9"))));
  auto sweep = server.Client()->GetSweep(9);
  ASSERT_FALSE(sweep.ok());
  EXPECT_EQ(sweep.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sweep.status().message(), "no sweep 9");
}

}  // namespace
}  // namespace hpsweep::proto
