// HttpServer: the coordinator's HTTP/1.1 transport (Boost.Beast), after Beast's
// advanced server: a listener accepts connections and each connection is a
// session on its own strand. The server knows nothing of the API: it turns
// bytes into HttpRequests, hands them to an HttpHandler, and writes whatever
// the handler replies — possibly later, from another thread.
//
// Every read has a timeout and every body a size limit; keep-alive is honoured;
// the number of open connections is capped (see max_connections), and the
// accept loop never spins: at the cap or out of file descriptors it waits.
// request bodies may be streamed into a BodySink and responses streamed from a
// BodySource (chunked), so a large checkpoint is never held whole in memory.
// The request/response model and target decoding are in http_request.h; one
// connection's protocol loop is in http_session.cc.
//
// Thread safety: Start/Stop may be called from any thread. Handler calls happen
// on session strands of the io_context the server was given.
#ifndef HPSWEEP_COORDINATOR_HTTP_HTTP_SERVER_H_
#define HPSWEEP_COORDINATOR_HTTP_HTTP_SERVER_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "coordinator/http/http_request.h"

namespace hpsweep::coordinator {

struct HttpServerOptions {
  // Default: 127.0.0.1 (loopback only).
  std::string host = "127.0.0.1";
  // 0 picks a free port; see HttpServer::port(). Default: 8470.
  uint16_t port = 8470;
  // Largest request body read whole (JSON). Default: 1 MiB.
  uint64_t max_body_bytes = 1 << 20;
  // Largest streamed request body (checkpoints). Default: 4 GiB.
  uint64_t max_stream_bytes = 4ULL << 30;
  // Deadline for reading a request's headers and body, and for writing a
  // response. Idle keep-alive connections are closed after it. Default: 30 s.
  std::chrono::milliseconds io_timeout{30000};
  // Most connections open at once. At the cap the oldest idle connection
  // (waiting for its next request) is closed to make room for a new one; with
  // none idle, accepting pauses until a connection closes. Lowered at Start,
  // with a warning, to what the open-file limit (RLIMIT_NOFILE) leaves after
  // kReservedDescriptors. Default: 512.
  int max_connections = 512;
  Status Validate() const;
};

// File descriptors the connection cap leaves to everything else in the
// process: RocksDB's files, logs, checkpoint streams, pipes.
inline constexpr int kReservedDescriptors = 128;

struct HttpServerStats {
  int64_t open_connections = 0;
  // The cap in force (after the open-file limit).
  int64_t max_connections = 0;
  int64_t accepted = 0;
  // Idle connections closed to make room at the cap.
  int64_t evicted = 0;
  // accept() failures (out of descriptors, ...), each followed by a backoff.
  int64_t accept_errors = 0;
};

class HttpServer {
 public:
  // `handler` must outlive the server.
  HttpServer(boost::asio::io_context& ioc, HttpHandler* handler, HttpServerOptions options);
  ~HttpServer();

  // Binds and starts accepting. UNAVAILABLE naming host:port when the port is
  // taken or the address cannot be bound.
  Status Start();
  // Stops accepting new connections; requests in flight finish.
  void StopAccepting();
  // The bound port (after Start).
  uint16_t port() const { return port_; }
  // Requests read but not yet fully answered.
  int64_t in_flight() const { return in_flight_->load(); }
  // Thread-safe; zeros before Start.
  HttpServerStats Stats() const;

 private:
  class Listener;
  boost::asio::io_context& ioc_;
  HttpHandler* handler_;
  HttpServerOptions options_;
  std::shared_ptr<Listener> listener_;
  std::shared_ptr<std::atomic<int64_t>> in_flight_;
  uint16_t port_ = 0;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_HTTP_SERVER_H_
