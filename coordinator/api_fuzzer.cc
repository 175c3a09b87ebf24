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
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/utf8.h"
#include "coordinator/api.h"
#include "coordinator/group_committer.h"
#include "coordinator/http_request.h"
#include "coordinator/metrics.h"
#include "coordinator/store.h"
#include "coordinator/sweep_service.h"
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

// One coordinator stack in memory, as coordinator.cc composes it.
class Stack {
 public:
  Stack()
      : store_(NewMemoryStore(64)),
        service_(&clock_, SweepServiceOptions()),
        strand_(net::make_strand(ioc_)),
        work_(net::make_work_guard(ioc_)),
        committer_(store_.get(), &clock_,
                   [](const Status& s) {
                     FUZZ_CHECK(false, "a commit failed: the service accepted what the store "
                                       "cannot hold: " + s.ToString());
                   }),
        blocking_(2),
        api_(ApiOptions{}, &service_, strand_, &committer_, store_.get(), &blocking_, &metrics_,
             &clock_) {
    Status recovered = service_.Recover(*store_);
    FUZZ_CHECK(recovered.ok(), recovered.ToString());
    io_thread_ = std::thread([this] { ioc_.run(); });
  }

  ~Stack() {
    committer_.Flush();
    blocking_.join();
    work_.reset();
    ioc_.stop();
    io_thread_.join();
  }

  // Sends one request and waits for its reply.
  HttpResponse Send(std::string_view request) {
    const size_t newline = request.find('\n');
    const std::string_view line = request.substr(0, newline);
    const std::string body(newline == std::string_view::npos ? "" : request.substr(newline + 1));
    const size_t space = line.find(' ');
    HttpRequest req;
    req.method = std::string(line.substr(0, space));
    req.target = space == std::string_view::npos ? "/" : std::string(line.substr(space + 1));
    Status target = ParseTarget(req.target, &req);
    if (!target.ok()) return api_.ErrorResponse(target);  // what the transport answers

    Waiter waiter;
    HttpHandler::HeadResult head = api_.OnHeaders(req);
    if (auto* response = std::get_if<HttpResponse>(&head)) return *response;
    if (auto* sink = std::get_if<std::shared_ptr<BodySink>>(&head)) {
      std::optional<Status> written;
      Waiter wrote;
      (*sink)->Write(body, [&](Status s) { wrote.Set([&] { written = s; }); });
      wrote.Wait();
      if (!written->ok()) {
        (*sink)->Abort();
        return api_.ErrorResponse(*written);
      }
      (*sink)->Finish(waiter.Reply());
      return waiter.Take();
    }
    req.body = body;
    api_.Handle(std::move(req), waiter.Reply());
    return waiter.Take();
  }

  void AdvanceAndExpire(int64_t seconds) {
    clock_.AdvanceSeconds(static_cast<double>(seconds));
    Waiter waiter;
    net::post(strand_, [&] {
      WriteSet writes = service_.ExpireLeases();
      committer_.Submit(std::move(writes), [&](Status s) {
        FUZZ_CHECK(s.ok(), s.ToString());
        waiter.Set([] {});
      });
    });
    waiter.Wait();
  }

 private:
  // A reply (or any completion) handed over from another thread.
  class Waiter {
   public:
    ReplyCallback Reply() {
      return [this](HttpResponse r) { Set([&] { response_ = std::move(r); }); };
    }
    template <typename F>
    void Set(F f) {
      std::lock_guard<std::mutex> lock(mu_);
      f();
      done_ = true;
      cv_.notify_all();
    }
    void Wait() {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return done_; });
    }
    HttpResponse Take() {
      Wait();
      return std::move(*response_);
    }

   private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
    std::optional<HttpResponse> response_;
  };

  FakeClock clock_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  SweepService service_;
  net::io_context ioc_;
  net::strand<net::io_context::executor_type> strand_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  GroupCommitter committer_;
  net::thread_pool blocking_;
  Api api_;
  std::thread io_thread_;
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
