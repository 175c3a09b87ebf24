#include "coordinator/http/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include "common/logging.h"
#include "coordinator/http/http_session.h"

namespace hpsweep::coordinator {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool IsOutOfDescriptors(const beast::error_code& ec) {
  return ec == net::error::no_descriptors ||
         ec == beast::errc::make_error_code(beast::errc::too_many_files_open_in_system) ||
         ec == net::error::no_buffer_space || ec == net::error::no_memory;
}

// The cap in force: `wanted`, or less when the open-file limit leaves less.
int EffectiveConnectionCap(int wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  const int64_t room =
      static_cast<int64_t>(limit.rlim_cur) - static_cast<int64_t>(kReservedDescriptors);
  if (room >= wanted) return wanted;
  const int cap = static_cast<int>(std::max<int64_t>(8, room));
  HPS_LOG(WARNING) << "the open-file limit (" << limit.rlim_cur << ") allows " << cap
                   << " connections, not max_connections=" << wanted
                   << "; raise it (ulimit -n) to serve more";
  return cap;
}

}  // namespace

// Accepts connections up to the cap (see HttpServerOptions::max_connections).
// Its counters and state are touched only on the acceptor's strand; stats are
// atomics so that Stats() may read them from anywhere.
class HttpServer::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, HttpHandler* handler, const HttpServerOptions& options,
           std::shared_ptr<std::atomic<int64_t>> in_flight)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        backoff_timer_(acceptor_.get_executor()),
        handler_(handler),
        options_(options),
        in_flight_(std::move(in_flight)) {}

  StatusOr<uint16_t> Open() {
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.host, ec);
    if (ec) {
      return InvalidArgumentError("cannot listen on \"" + options_.host + "\": not an IP address");
    }
    const tcp::endpoint endpoint(address, options_.port);
    const std::string where = options_.host + ":" + std::to_string(options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (ec == net::error::address_in_use) {
      return UnavailableError("port " + std::to_string(options_.port) + " on " + options_.host +
                              " is already taken by another process; choose another with "
                              "--port (0 picks a free one)");
    }
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return UnavailableError("cannot listen on " + where + ": " + ec.message());
    max_connections_ = EffectiveConnectionCap(options_.max_connections);
    // Sessions end and idle on their own strands; the count and the pause
    // change on the acceptor's.
    std::weak_ptr<Listener> weak = weak_from_this();
    auto executor = acceptor_.get_executor();
    tracker_ = std::make_shared<ConnectionTracker>(
        [weak, executor] {
          auto self = weak.lock();
          if (!self || !self->paused_.load()) return;  // the common case: nothing to do
          net::post(executor, [self] { self->Resume(); });
        },
        [weak, executor] {
          net::post(executor, [weak] {
            if (auto self = weak.lock()) self->OnSessionClosed();
          });
        });
    return acceptor_.local_endpoint().port();
  }

  void Start() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
  }

  void Stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->backoff_timer_.cancel();
    });
  }

  HttpServerStats Stats() const {
    HttpServerStats stats;
    stats.open_connections = open_.load();
    stats.max_connections = max_connections_;
    stats.accepted = accepted_.load();
    stats.evicted = evicted_.load();
    stats.accept_errors = accept_errors_.load();
    return stats;
  }

 private:
  // Starts one accept unless one is pending, the acceptor is closed, a
  // backoff is running, or the cap is reached with no idle session that could
  // make room (then it pauses until a session ends or becomes idle).
  void Accept() {
    if (!acceptor_.is_open() || accepting_ || backing_off_) return;
    if (open_.load() >= max_connections_ && !tracker_->HasIdle()) {
      paused_.store(true);
      return;
    }
    accepting_ = true;
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    accepting_ = false;
    if (!acceptor_.is_open()) return;
    if (ec) return OnAcceptError(ec);
    backoff_ = std::chrono::milliseconds(0);
    ++open_;
    ++accepted_;
    // Over the cap: the oldest idle connection makes room for this one.
    if (open_.load() > max_connections_) {
      if (tracker_->EvictOldestIdle()) ++evicted_;
    }
    socket.set_option(tcp::no_delay(true), ec);  // small JSON replies: no Nagle delay
    StartSession(std::move(socket), handler_, options_, in_flight_, tracker_);
    Accept();
  }

  // A failed accept is retried after a backoff (10 ms doubling to 1 s), so a
  // lasting cause such as EMFILE costs no CPU; out of descriptors, the oldest
  // idle session is closed to free one.
  void OnAcceptError(const beast::error_code& ec) {
    ++accept_errors_;
    if (ec == net::error::connection_aborted) return Accept();  // the peer gave up; benign
    const bool out_of_descriptors = IsOutOfDescriptors(ec);
    HPS_LOG_LIMITED(WARNING, accept_log_)
        << "accept failed: " << ec.message() << " (" << open_.load() << " connections open"
        << (out_of_descriptors ? "; the open-file limit is too low for the connection cap" : "")
        << ")";
    if (out_of_descriptors) {
      if (tracker_->EvictOldestIdle()) ++evicted_;
    }
    backoff_ = std::clamp(backoff_ * 2, std::chrono::milliseconds(10),
                          std::chrono::milliseconds(1000));
    backing_off_ = true;
    backoff_timer_.expires_after(backoff_);
    backoff_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      self->backing_off_ = false;
      if (!wait_ec) self->Accept();
    });
  }

  void OnSessionClosed() {
    --open_;
    Resume();
  }

  void Resume() {
    if (paused_.exchange(false)) Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_timer_;
  HttpHandler* handler_;
  const HttpServerOptions options_;
  std::shared_ptr<std::atomic<int64_t>> in_flight_;
  std::shared_ptr<ConnectionTracker> tracker_;
  int max_connections_ = 0;
  bool accepting_ = false;
  std::atomic<bool> paused_{false};  // read by the idle hook on session strands
  bool backing_off_ = false;
  std::chrono::milliseconds backoff_{0};
  LogRateLimiter accept_log_;
  std::atomic<int64_t> open_{0};
  std::atomic<int64_t> accepted_{0};
  std::atomic<int64_t> evicted_{0};
  std::atomic<int64_t> accept_errors_{0};
};

Status HttpServerOptions::Validate() const {
  if (max_body_bytes == 0) return InvalidArgumentError("max_body_bytes must be > 0");
  if (io_timeout.count() <= 0) return InvalidArgumentError("io_timeout must be > 0");
  if (max_connections < 1) {
    return InvalidArgumentError("max_connections must be >= 1, found " +
                                std::to_string(max_connections));
  }
  return Status();
}

HttpServer::HttpServer(net::io_context& ioc, HttpHandler* handler, HttpServerOptions options)
    : ioc_(ioc),
      handler_(handler),
      options_(std::move(options)),
      in_flight_(std::make_shared<std::atomic<int64_t>>(0)) {}

HttpServer::~HttpServer() { StopAccepting(); }

Status HttpServer::Start() {
  HPS_RETURN_IF_ERROR(options_.Validate());
  listener_ = std::make_shared<Listener>(ioc_, handler_, options_, in_flight_);
  HPS_ASSIGN_OR_RETURN(port_, listener_->Open());
  listener_->Start();
  return Status();
}

HttpServerStats HttpServer::Stats() const {
  return listener_ ? listener_->Stats() : HttpServerStats();
}

void HttpServer::StopAccepting() {
  if (listener_) listener_->Stop();
}

}  // namespace hpsweep::coordinator
