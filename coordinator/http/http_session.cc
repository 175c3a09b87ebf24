#include "coordinator/http/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/logging.h"

namespace hpsweep::coordinator {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kStreamChunkBytes = 1 << 20;

bool IsBenignDisconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == beast::error::timeout ||
         ec == net::error::operation_aborted;
}

}  // namespace

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

uint64_t ConnectionTracker::AddIdle(std::weak_ptr<Session> session) {
  uint64_t key = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.emplace(++next_key_, std::move(session));
    key = next_key_;
  }
  on_idle_();
  return key;
}

bool ConnectionTracker::HasIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  return !idle_.empty();
}

void ConnectionTracker::RemoveIdle(uint64_t key) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.erase(key);
}

bool ConnectionTracker::EvictOldestIdle() {
  std::shared_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty() && !session) {
      session = idle_.begin()->second.lock();
      idle_.erase(idle_.begin());
    }
  }
  if (!session) return false;
  session->Evict();
  return true;
}

void StartSession(tcp::socket socket, HttpHandler* handler, const HttpServerOptions& options,
                  std::shared_ptr<std::atomic<int64_t>> in_flight,
                  std::shared_ptr<ConnectionTracker> tracker) {
  std::make_shared<Session>(std::move(socket), handler, options, std::move(in_flight),
                            std::move(tracker))
      ->Run();
}

}  // namespace hpsweep::coordinator
