// The transport's request/response model, shared by the HTTP server
// (http_server.h) and whatever handles requests (the API): an HttpHandler
// sees decoded HttpRequests and answers HttpResponses, possibly streamed. It
// knows nothing of sockets, Beast or the coordinator's state, so handlers are
// tested without either.
//
// Thread safety: plain values; see each interface for its callbacks.
#ifndef HPSWEEP_COORDINATOR_HTTP_HTTP_REQUEST_H_
#define HPSWEEP_COORDINATOR_HTTP_HTTP_REQUEST_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace hpsweep::coordinator {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent
  std::string path;    // decoded path without the query
  std::map<std::string, std::string> query;
  std::string authorization;  // the Authorization header, verbatim
  std::string content_type;
  std::string body;  // empty for streamed bodies
};

// Produces a response body chunk by chunk. `next` is called with the next
// chunk, with nullopt at the end, or with an error (the connection is then
// closed, since the status line is already sent).
class BodySource {
 public:
  virtual ~BodySource() = default;
  using NextCallback = std::function<void(StatusOr<std::optional<std::string>>)>;
  virtual void Next(NextCallback next) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body comes from here (chunked transfer encoding) and `body`
  // is ignored.
  std::shared_ptr<BodySource> stream;
};

using ReplyCallback = std::function<void(HttpResponse)>;

// Consumes a streamed request body. Write's callback must be called once the
// chunk is consumed (the next read waits for it: back-pressure); Finish gets
// the reply to send. Abort is called instead of Finish when the client goes
// away or the body is malformed or too large.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual void Write(std::string chunk, std::function<void(Status)> done) = 0;
  virtual void Finish(ReplyCallback reply) = 0;
  virtual void Abort() = 0;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Called once the headers are read. Return a sink to stream the body into,
  // an immediate response (e.g. 401) to skip the body, or monostate to read
  // the body whole and call Handle.
  using HeadResult = std::variant<std::monostate, std::shared_ptr<BodySink>, HttpResponse>;
  virtual HeadResult OnHeaders(const HttpRequest& head) = 0;
  // Handles a request; `reply` must be called exactly once, from any thread.
  virtual void Handle(HttpRequest request, ReplyCallback reply) = 0;
  // The response for a transport-level error (bad request, body too large).
  virtual HttpResponse ErrorResponse(const Status& status) = 0;
};

// Splits "a=1&b=x%20y" into decoded pairs.
std::map<std::string, std::string> ParseQuery(std::string_view query);
// Decodes %XX escapes and '+'.
std::string PercentDecode(std::string_view text);
// Fills request->path and request->query from a request target. Every request
// passes through here before a handler sees it, so handlers only ever see
// well-formed UTF-8: INVALID_ARGUMENT naming the part ("path", the query
// parameter's name, or "query" for a name) when a decoded part is not.
Status ParseTarget(std::string_view target, HttpRequest* request);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_HTTP_REQUEST_H_
