// Fuzz target: the HTTP request path without sockets. Each input is a
// sequence of requests; each goes through the transport's target decoding
// (ParseTarget), then the real Api router and handlers, on a real
// SweepService (every searcher) and GroupCommitter over the in-memory store,
// so ask/report/complete/fail sequences reach the handlers with state built
// by the requests before them. Checks: nothing throws or crashes; every reply
// is valid UTF-8 and, when JSON, valid JSON; no request is answered 500; and
// no commit fails (a failed commit means the service accepted state the
// store cannot hold, which stops a real coordinator).
//
// Input: requests separated by a line "---"; each is "METHOD TARGET" on its
// first line and the body after it. Authentication is off (empty token).
#include <boost/asio/post.hpp>
#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <future>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/utf8.h"
#include "coordinator/http/api.h"
#include "coordinator/http/api_stack.h"
#include "coordinator/http/http_request.h"
#include "coordinator/store/store.h"
#include "proto/json_reader.h"
#include "tests/fuzz/fuzz_check.h"

namespace hpsweep::coordinator {
namespace {

namespace net = boost::asio;

constexpr size_t kMaxRequests = 64;

std::vector<std::string_view> SplitRequests(std::string_view input) {
  std::vector<std::string_view> out;
  constexpr std::string_view kSeparator = "\n---\n";
  while (out.size() < kMaxRequests) {
    const size_t at = input.find(kSeparator);
    out.push_back(input.substr(0, at));
    if (at == std::string_view::npos) break;
    input.remove_prefix(at + kSeparator.size());
  }
  return out;
}

// One coordinator stack in memory (api_stack.h) fed requests as text.
class Stack {
 public:
  Stack()
      : stack_(ApiOptions{}, 64, [](const Status& s) {
          FUZZ_CHECK(false, "a commit failed: the service accepted what the store cannot hold: " +
                                s.ToString());
        }) {
    Status started = stack_.Start();
    FUZZ_CHECK(started.ok(), started.ToString());
  }

  // Sends one request ("METHOD target\nbody") and waits for its reply.
  HttpResponse Send(std::string_view request) {
    const size_t newline = request.find('\n');
    const std::string_view line = request.substr(0, newline);
    const std::string body(newline == std::string_view::npos ? "" : request.substr(newline + 1));
    const size_t space = line.find(' ');
    HttpRequest req;
    req.method = std::string(line.substr(0, space));
    req.target = space == std::string_view::npos ? "/" : std::string(line.substr(space + 1));
    return stack_.Send(std::move(req), body);
  }

  void AdvanceAndExpire(int64_t seconds) {
    stack_.clock().AdvanceSeconds(static_cast<double>(seconds));
    std::promise<void> expired;
    net::post(stack_.strand(), [&] {
      WriteSet writes = stack_.service().ExpireLeases();
      stack_.committer().Submit(std::move(writes), [&](Status s) {
        FUZZ_CHECK(s.ok(), s.ToString());
        expired.set_value();
      });
    });
    expired.get_future().wait();
  }

 private:
  ApiStack stack_;
};

void CheckResponse(const HttpResponse& r, std::string_view request) {
  const std::string what = QuoteForMessage(request, 200);
  FUZZ_CHECK(r.status != 500, "500 for " + what + ": " + QuoteForMessage(r.body, 400));
  FUZZ_CHECK(IsValidUtf8(r.body), "a reply that is not UTF-8 for " + what);
  if (r.content_type == "application/json" && !r.stream) {
    auto json = proto::ParseJsonText(r.body, {proto::kMaxWrittenJsonDepth});
    FUZZ_CHECK(json.ok(), "a reply that is not JSON for " + what + ": " + json.status().ToString());
  }
}

}  // namespace
}  // namespace hpsweep::coordinator

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hpsweep::coordinator;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Stack stack;
  for (std::string_view request : SplitRequests(input)) {
    // "WAIT n": let n seconds pass and expire leases (requeue and fail paths).
    if (request.substr(0, 5) == "WAIT ") {
      stack.AdvanceAndExpire(std::min<int64_t>(7200, std::atoll(std::string(request.substr(5, 6)).c_str())));
      continue;
    }
    CheckResponse(stack.Send(request), request);
  }
  return 0;
}
