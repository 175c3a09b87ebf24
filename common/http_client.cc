#include "common/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hpsweep {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Runs one asynchronous operation on `ioc` until its handler has run.
// Beast's stream timeouts (expires_after) bound asynchronous operations only,
// so every network call here is asynchronous: a coordinator that stops
// answering (cut off by the network, or hung) costs at most the timeout
// instead of blocking the caller forever.
template <typename Initiate>
beast::error_code RunToCompletion(net::io_context& ioc, Initiate&& initiate) {
  beast::error_code result = net::error::operation_aborted;
  bool done = false;
  initiate([&result, &done](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc.restart();
  while (!done && ioc.run_one() > 0) {
  }
  return result;
}

}  // namespace

struct HttpClient::Connection {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool used = false;
};

StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(const std::string& base_url,
                                                         std::string token,
                                                         HttpClientOptions options) {
  constexpr std::string_view kScheme = "http://";
  if (base_url.compare(0, kScheme.size(), kScheme) != 0) {
    return InvalidArgumentError("coordinator URL must start with http://, found \"" + base_url +
                                "\"");
  }
  std::string rest = base_url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find('/') != std::string::npos) {
    return InvalidArgumentError("coordinator URL must look like http://HOST:PORT, found \"" +
                                base_url + "\"");
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::string(kScheme) + rest,
                                                    rest.substr(0, colon), rest.substr(colon + 1),
                                                    std::move(token), options));
}

HttpClient::HttpClient(std::string base_url, std::string host, std::string port,
                       std::string token, HttpClientOptions options)
    : base_url_(std::move(base_url)),
      host_(std::move(host)),
      port_(std::move(port)),
      token_(std::move(token)),
      options_(options) {}

HttpClient::~HttpClient() = default;

Status HttpClient::Connect() {
  connection_ = std::make_unique<Connection>();
  beast::error_code ec;
  tcp::resolver resolver(connection_->ioc);
  auto endpoints = resolver.resolve(host_, port_, ec);
  if (ec) return UnavailableError("cannot resolve " + base_url_ + ": " + ec.message());
  beast::tcp_stream& stream = connection_->stream;
  stream.expires_after(options_.timeout);
  ec = RunToCompletion(connection_->ioc,
                       [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
  if (ec) {
    connection_.reset();
    return UnavailableError("cannot reach the coordinator at " + base_url_ + ": " + ec.message() +
                            " (is it running?)");
  }
  connection_->stream.socket().set_option(tcp::no_delay(true), ec);
  return Status();
}

StatusOr<HttpReply> HttpClient::Send(std::string_view method, const std::string& target,
                                     const std::string& body, const std::string& content_type) {
  const bool reused = connection_ && connection_->used;
  StatusOr<HttpReply> reply = SendOnce(method, target, body, content_type);
  if (!reply.ok() && reused && reply.status().code() == StatusCode::kUnavailable) {
    connection_.reset();  // the server closed an idle connection: try a fresh one
    reply = SendOnce(method, target, body, content_type);
  }
  return reply;
}

StatusOr<HttpReply> HttpClient::SendOnce(std::string_view method, const std::string& target,
                                         const std::string& body,
                                         const std::string& content_type) {
  if (!connection_) HPS_RETURN_IF_ERROR(Connect());
  Connection& c = *connection_;
  c.used = true;
  http::request<http::string_body> req(
      http::string_to_verb(beast::string_view(method.data(), method.size())), target, 11);
  req.set(http::field::host, host_);
  req.set(http::field::user_agent, "hpsweep");
  if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  beast::error_code ec;
  c.stream.expires_after(options_.timeout);
  ec = RunToCompletion(c.ioc, [&](auto handler) { http::async_write(c.stream, req, std::move(handler)); });
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_reply_bytes);
  // A server may answer before reading the whole body (413) and stop reading:
  // the reply can still be read after a failed write.
  const bool write_failed = static_cast<bool>(ec);
  ec.clear();
  c.stream.expires_after(options_.timeout);
  ec = RunToCompletion(
      c.ioc, [&](auto handler) { http::async_read(c.stream, c.buffer, parser, std::move(handler)); });
  if (!ec && write_failed && !parser.is_done()) ec = http::error::partial_message;
  if (ec) {
    connection_.reset();
    return UnavailableError("request " + std::string(method) + " " + target + " to " + base_url_ +
                            " failed: " + ec.message());
  }
  const auto& res = parser.get();
  HttpReply reply;
  reply.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    reply.headers[name] = std::string(field.value());
  }
  const bool keep_alive = res.keep_alive();
  reply.body = std::move(parser.release().body());
  if (!keep_alive) connection_.reset();
  return reply;
}

}  // namespace hpsweep
