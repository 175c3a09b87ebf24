#include "common/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace hpsweep {
namespace {

// A listening socket that never accepts or answers: the kernel completes the
// handshake and takes the request, and no reply ever comes — a coordinator
// that hangs, or whose replies are lost with its link.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      port_ = -1;
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = -1;
};

TEST(HttpClientTest, AServerThatNeverAnswersCostsTheTimeoutNotForever) {
  SilentServer server;
  ASSERT_GT(server.port(), 0);
  HttpClientOptions options;
  options.timeout = std::chrono::milliseconds(300);
  auto client =
      HttpClient::Create("http://127.0.0.1:" + std::to_string(server.port()), "", options);
  ASSERT_TRUE(client.ok()) << client.status();
  // Before the fix the synchronous read ignored the timeout and this call
  // never returned (the test timed out).
  auto reply = (*client)->Send("GET", "/healthz");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable) << reply.status();
  // The client stays usable: the next call fails the same way, promptly.
  auto again = (*client)->Send("POST", "/api/v1/ask", "{}");
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable) << again.status();
}

TEST(HttpClientTest, NothingListeningIsUnavailable) {
  int port = 0;
  {
    SilentServer probe;  // a port that was free a moment ago
    port = probe.port();
  }
  ASSERT_GT(port, 0);
  auto client = HttpClient::Create("http://127.0.0.1:" + std::to_string(port), "");
  ASSERT_TRUE(client.ok());
  auto reply = (*client)->Send("GET", "/healthz");
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable) << reply.status();
}

}  // namespace
}  // namespace hpsweep
