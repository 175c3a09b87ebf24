#include "coordinator/http_server.h"

#include <sys/resource.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>

#include "common/logging.h"
#include "common/utf8.h"

namespace hpsweep::coordinator {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kStreamChunkBytes = 1 << 20;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsBenignDisconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == beast::error::timeout ||
         ec == net::error::operation_aborted;
}

class Session;

// Shared by the listener and its sessions: the sessions waiting for a request
// (idle), oldest first, so that at the connection cap the oldest can make
// room, and hooks run whenever a session becomes idle or ends. Thread-safe.
class ConnectionTracker {
 public:
  ConnectionTracker(std::function<void()> on_idle, std::function<void()> on_closed)
      : on_idle_(std::move(on_idle)), on_closed_(std::move(on_closed)) {}

  // Lists `session` as idle; returns its key (never 0).
  uint64_t AddIdle(std::weak_ptr<Session> session) {
    uint64_t key = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.emplace(++next_key_, std::move(session));
      key = next_key_;
    }
    on_idle_();
    return key;
  }
  bool HasIdle() {
    std::lock_guard<std::mutex> lock(mu_);
    return !idle_.empty();
  }
  // Unlists a session; a key already taken (or 0) is ignored.
  void RemoveIdle(uint64_t key) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.erase(key);
  }
  // Unlists and returns the oldest idle session still alive; null when none.
  std::shared_ptr<Session> TakeOldestIdle() {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      std::shared_ptr<Session> session = idle_.begin()->second.lock();
      idle_.erase(idle_.begin());
      if (session) return session;
    }
    return nullptr;
  }
  void Closed() { on_closed_(); }

 private:
  const std::function<void()> on_idle_;
  const std::function<void()> on_closed_;
  std::mutex mu_;
  std::map<uint64_t, std::weak_ptr<Session>> idle_;  // by key: oldest first
  uint64_t next_key_ = 0;
};

// One connection: reads requests, hands them to the handler, writes replies.
// All members are touched only on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpHandler* handler, const HttpServerOptions& options,
          std::shared_ptr<std::atomic<int64_t>> in_flight,
          std::shared_ptr<ConnectionTracker> tracker)
      : stream_(std::move(socket)),
        handler_(handler),
        options_(options),
        in_flight_(std::move(in_flight)),
        tracker_(std::move(tracker)) {}

  ~Session() {
    tracker_->RemoveIdle(idle_key_);
    tracker_->Closed();
  }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

  // Closes the connection if it is still waiting for a request (called at the
  // connection cap to make room); a session that has begun a request keeps it.
  void Evict() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->waiting_for_request_) return;
      self->evicted_ = true;
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.socket().close(ec);
    });
  }

 private:
  void ReadHeader() {
    // Idle until the headers are read; pipelined bytes already buffered mean
    // a request has begun.
    waiting_for_request_ = buffer_.size() == 0;
    if (waiting_for_request_) idle_key_ = tracker_->AddIdle(weak_from_this());
    head_parser_.emplace();
    head_parser_->header_limit(kHeaderLimit);
    head_parser_->body_limit(options_.max_stream_bytes);
    stream_.expires_after(options_.io_timeout);
    http::async_read_header(stream_, buffer_, *head_parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    waiting_for_request_ = false;
    tracker_->RemoveIdle(idle_key_);
    idle_key_ = 0;
    if (evicted_) return;  // the socket is closed; the session ends here
    if (ec) {
      if (IsBenignDisconnect(ec)) return Close();
      return SendError(InvalidArgumentError("malformed HTTP request: " + ec.message()), true);
    }
    BeginRequest();
    const auto& h = head_parser_->get();
    keep_alive_ = h.keep_alive();
    HttpRequest req;
    req.method = std::string(h.method_string());
    req.target = std::string(h.target());
    if (Status target = ParseTarget(req.target, &req); !target.ok()) {
      return SendError(target, true);
    }
    req.authorization = std::string(h[http::field::authorization]);
    req.content_type = std::string(h[http::field::content_type]);
    const bool expects_continue =
        beast::iequals(h[http::field::expect], "100-continue");

    HttpHandler::HeadResult head = handler_->OnHeaders(req);
    if (auto* response = std::get_if<HttpResponse>(&head)) {
      // The body was not read; the connection cannot carry another request.
      if (!head_parser_->is_done()) keep_alive_ = false;
      return Write(std::move(*response));
    }
    if (auto* sink = std::get_if<std::shared_ptr<BodySink>>(&head)) {
      sink_ = *sink;
      stream_parser_.emplace(std::move(*head_parser_));
      stream_parser_->body_limit(options_.max_stream_bytes);
      stream_buffer_.resize(kStreamChunkBytes);
      return MaybeContinue(expects_continue, [this] { ReadStreamChunk(); });
    }
    // The header parser allowed streamed sizes; a whole-read body gets the
    // smaller limit, checked against Content-Length before reading any of it.
    if (const auto length = head_parser_->content_length();
        length && *length > options_.max_body_bytes) {
      return SendError(ResourceExhaustedError("request body of " + std::to_string(*length) +
                                              " bytes exceeds the limit of " +
                                              std::to_string(options_.max_body_bytes) + " bytes"),
                       true);
    }
    request_ = std::move(req);
    string_parser_.emplace(std::move(*head_parser_));
    string_parser_->body_limit(options_.max_body_bytes);
    MaybeContinue(expects_continue, [this] {
      stream_.expires_after(options_.io_timeout);
      http::async_read(stream_, buffer_, *string_parser_,
                       beast::bind_front_handler(&Session::OnBody, shared_from_this()));
    });
  }

  // Answers "Expect: 100-continue" (curl sends it for larger bodies) before
  // reading the body, then runs `next`.
  void MaybeContinue(bool expects_continue, std::function<void()> next) {
    if (!expects_continue) return next();
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    stream_.expires_after(options_.io_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, next](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        next();
                      });
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) {
      return SendError(ResourceExhaustedError("request body exceeds " +
                                              std::to_string(options_.max_body_bytes) + " bytes"),
                       true);
    }
    if (ec) {
      if (IsBenignDisconnect(ec)) return Close();
      return SendError(InvalidArgumentError("malformed HTTP body: " + ec.message()), true);
    }
    request_.body = std::move(string_parser_->get().body());
    string_parser_.reset();
    handler_->Handle(std::move(request_), MakeReply());
  }

  void ReadStreamChunk() {
    auto& body = stream_parser_->get().body();
    body.data = stream_buffer_.data();
    body.size = stream_buffer_.size();
    body.more = true;
    stream_.expires_after(options_.io_timeout);
    http::async_read(stream_, buffer_, *stream_parser_,
                     beast::bind_front_handler(&Session::OnStreamChunk, shared_from_this()));
  }

  void OnStreamChunk(beast::error_code ec, size_t) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      sink_->Abort();
      sink_.reset();
      if (ec == http::error::body_limit) {
        return SendError(ResourceExhaustedError("request body exceeds " +
                                                std::to_string(options_.max_stream_bytes) +
                                                " bytes"),
                         true);
      }
      if (IsBenignDisconnect(ec)) return Close();
      return SendError(InvalidArgumentError("malformed HTTP body: " + ec.message()), true);
    }
    const size_t got = stream_buffer_.size() - stream_parser_->get().body().size;
    if (got == 0) return AfterStreamChunk();
    sink_->Write(std::string(stream_buffer_.data(), got), [self = shared_from_this()](Status s) {
      net::post(self->stream_.get_executor(), [self, s] {
        if (!s.ok()) {
          self->sink_->Abort();
          self->sink_.reset();
          return self->SendError(s, true);
        }
        self->AfterStreamChunk();
      });
    });
  }

  void AfterStreamChunk() {
    if (!stream_parser_->is_done()) return ReadStreamChunk();
    stream_parser_.reset();
    std::shared_ptr<BodySink> sink = std::move(sink_);
    sink->Finish(MakeReply());
  }

  ReplyCallback MakeReply() {
    return [self = shared_from_this()](HttpResponse response) {
      net::post(self->stream_.get_executor(), [self, r = std::move(response)]() mutable {
        self->Write(std::move(r));
      });
    };
  }

  void SendError(const Status& status, bool close) {
    BeginRequest();
    if (close) keep_alive_ = false;
    Write(handler_->ErrorResponse(status));
  }

  void Write(HttpResponse r) {
    if (r.stream) return WriteStreamed(std::move(r));
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "hpsweep");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(options_.io_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      self->OnWritten(ec, !res->keep_alive());
    });
  }

  void WriteStreamed(HttpResponse r) {
    auto res = std::make_shared<http::response<http::empty_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "hpsweep");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive_);
    res->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    stream_.expires_after(options_.io_timeout);
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), res, serializer, source = r.stream](beast::error_code ec,
                                                                        size_t) {
          if (ec) return self->Close();
          self->PullChunk(source);
        });
  }

  void PullChunk(std::shared_ptr<BodySource> source) {
    source->Next([self = shared_from_this(), source](StatusOr<std::optional<std::string>> chunk) {
      net::post(self->stream_.get_executor(), [self, source, chunk = std::move(chunk)]() mutable {
        if (!chunk.ok()) {
          HPS_LOG(WARNING) << "streamed response aborted: " << chunk.status();
          return self->Close();  // the status line is sent; only closing can signal it
        }
        self->stream_.expires_after(self->options_.io_timeout);
        if (!chunk->has_value()) {
          return net::async_write(self->stream_, http::make_chunk_last(),
                                  [self](beast::error_code ec, size_t) {
                                    self->OnWritten(ec, !self->keep_alive_);
                                  });
        }
        auto data = std::make_shared<std::string>(std::move(**chunk));
        net::async_write(self->stream_, http::make_chunk(net::buffer(*data)),
                         [self, data, source](beast::error_code ec, size_t) {
                           if (ec) return self->Close();
                           self->PullChunk(source);
                         });
      });
    });
  }

  void OnWritten(beast::error_code ec, bool close) {
    EndRequest();
    if (ec || close) return Close();
    ReadHeader();
  }

  void BeginRequest() {
    if (!active_) {
      active_ = true;
      in_flight_->fetch_add(1);
    }
  }

  void EndRequest() {
    if (active_) {
      active_ = false;
      in_flight_->fetch_sub(1);
    }
  }

  // Lingering close: stop sending, then read and discard what the peer still
  // sends (e.g. the rest of a body we refused) until it closes or a short
  // deadline passes. Closing with unread data would make the kernel send RST,
  // which can destroy our error reply before the client reads it.
  void Close() {
    EndRequest();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;  // the peer is already gone
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }

  void Drain() {
    drain_buffer_.resize(64 * 1024);
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec) return self->Drain();
                              // EOF, timeout or reset: the session ends here.
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  HttpHandler* handler_;
  const HttpServerOptions options_;
  std::shared_ptr<std::atomic<int64_t>> in_flight_;
  std::optional<http::request_parser<http::empty_body>> head_parser_;
  std::optional<http::request_parser<http::string_body>> string_parser_;
  std::optional<http::request_parser<http::buffer_body>> stream_parser_;
  std::vector<char> stream_buffer_;
  std::vector<char> drain_buffer_;
  std::shared_ptr<BodySink> sink_;
  HttpRequest request_;
  bool keep_alive_ = true;
  bool active_ = false;
  const std::shared_ptr<ConnectionTracker> tracker_;
  uint64_t idle_key_ = 0;
  bool waiting_for_request_ = false;
  bool evicted_ = false;
};

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
      if (std::shared_ptr<Session> idle = tracker_->TakeOldestIdle()) {
        idle->Evict();
        ++evicted_;
      }
    }
    socket.set_option(tcp::no_delay(true), ec);  // small JSON replies: no Nagle delay
    std::make_shared<Session>(std::move(socket), handler_, options_, in_flight_, tracker_)->Run();
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
      if (std::shared_ptr<Session> idle = tracker_->TakeOldestIdle()) {
        idle->Evict();
        ++evicted_;
      }
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

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

Status ParseTarget(std::string_view target, HttpRequest* request) {
  const size_t q = target.find('?');
  request->path = PercentDecode(target.substr(0, q));
  request->query.clear();
  if (!IsValidUtf8(request->path)) {
    return InvalidArgumentError("the URL path is not valid UTF-8 once decoded: \"" +
                                    QuoteForMessage(request->path) + "\"",
                                "path");
  }
  if (q == std::string_view::npos) return Status();
  request->query = ParseQuery(target.substr(q + 1));
  for (const auto& [name, value] : request->query) {
    if (!IsValidUtf8(name)) {
      return InvalidArgumentError("a query parameter name is not valid UTF-8 once decoded: \"" +
                                      QuoteForMessage(name) + "\"",
                                  "query");
    }
    if (!IsValidUtf8(value)) {
      return InvalidArgumentError("query parameter " + name + " is not valid UTF-8 once decoded: \"" +
                                      QuoteForMessage(value) + "\"",
                                  name);
    }
  }
  return Status();
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (!pair.empty()) {
      out[PercentDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace hpsweep::coordinator
