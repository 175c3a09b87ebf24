// One HTTP connection of the server (a Session, on a strand of its own) and
// the registry of idle sessions that lets the listener make room at the
// connection cap. Internal to the :http_server target; see http_server.h.
#ifndef HPSWEEP_COORDINATOR_HTTP_HTTP_SESSION_H_
#define HPSWEEP_COORDINATOR_HTTP_HTTP_SESSION_H_

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "coordinator/http/http_request.h"
#include "coordinator/http/http_server.h"

namespace hpsweep::coordinator {

class Session;

// Shared by the listener and its sessions: the sessions waiting for a request
// (idle), oldest first, so that at the connection cap the oldest can make
// room, and hooks run whenever a session becomes idle or ends. Thread-safe.
class ConnectionTracker {
 public:
  ConnectionTracker(std::function<void()> on_idle, std::function<void()> on_closed)
      : on_idle_(std::move(on_idle)), on_closed_(std::move(on_closed)) {}

  // Lists `session` as idle; returns its key (never 0).
  uint64_t AddIdle(std::weak_ptr<Session> session);
  bool HasIdle();
  // Unlists a session; a key already taken (or 0) is ignored.
  void RemoveIdle(uint64_t key);
  // Closes the oldest idle session still alive, unless it has begun a request
  // meanwhile; false when there was none.
  bool EvictOldestIdle();
  void Closed() { on_closed_(); }

 private:
  const std::function<void()> on_idle_;
  const std::function<void()> on_closed_;
  std::mutex mu_;
  std::map<uint64_t, std::weak_ptr<Session>> idle_;  // by key: oldest first
  uint64_t next_key_ = 0;
};

// Serves `socket` until the peer goes away: reads requests, hands them to
// `handler`, writes the replies. `options` is copied; `handler` must outlive
// the session.
void StartSession(boost::asio::ip::tcp::socket socket, HttpHandler* handler,
                  const HttpServerOptions& options,
                  std::shared_ptr<std::atomic<int64_t>> in_flight,
                  std::shared_ptr<ConnectionTracker> tracker);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_HTTP_SESSION_H_
