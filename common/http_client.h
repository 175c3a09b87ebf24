// HttpClient: a small blocking HTTP/1.1 client (Boost.Beast) with one
// keep-alive connection, for the CLI, workers, tests and benchmarks.
//
// Errors reaching the server become UNAVAILABLE naming the URL; HTTP error
// statuses are returned as replies (the caller decides what they mean). A
// request that fails on a reused connection (the server closed it while idle)
// is sent once more on a fresh one.
//
// Thread safety: not thread-safe; use one client per thread.
#ifndef HPSWEEP_COMMON_HTTP_CLIENT_H_
#define HPSWEEP_COMMON_HTTP_CLIENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hpsweep {

struct HttpClientOptions {
  // Deadline for connecting, for sending each request and for reading its
  // reply; past it the call fails with UNAVAILABLE (the connection is
  // dropped). Default: 60 s.
  std::chrono::milliseconds timeout{60000};
  // Largest reply body accepted. Default: 4 GiB.
  uint64_t max_reply_bytes = 4ULL << 30;
};

struct HttpReply {
  int status = 0;
  std::string body;
  // Header names in lower case.
  std::map<std::string, std::string> headers;
};

class HttpClient {
 public:
  // `base_url` is "http://host:port" (no path). `token`, when not empty, is
  // sent as "Authorization: Bearer <token>".
  static StatusOr<std::unique_ptr<HttpClient>> Create(const std::string& base_url,
                                                      std::string token,
                                                      HttpClientOptions options = {});
  ~HttpClient();

  StatusOr<HttpReply> Send(std::string_view method, const std::string& target,
                           const std::string& body = "",
                           const std::string& content_type = "application/json");

  const std::string& base_url() const { return base_url_; }

 private:
  struct Connection;
  HttpClient(std::string base_url, std::string host, std::string port, std::string token,
             HttpClientOptions options);
  Status Connect();
  StatusOr<HttpReply> SendOnce(std::string_view method, const std::string& target,
                               const std::string& body, const std::string& content_type);

  std::string base_url_;
  std::string host_;
  std::string port_;
  std::string token_;
  HttpClientOptions options_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace hpsweep

#endif  // HPSWEEP_COMMON_HTTP_CLIENT_H_
