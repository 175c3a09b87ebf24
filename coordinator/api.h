// Api: the coordinator's HTTP/JSON API v1 (documented in proto/openapi.yaml),
// as an HttpHandler. It parses and authenticates requests, runs them on the
// SweepService (on one strand), makes their writes durable through the
// GroupCommitter, and replies only after that. Store reads and checkpoint I/O
// run on a blocking pool, never on the network strand.
//
// Thread safety: thread-safe; HttpServer calls it from any session strand.
#ifndef HPSWEEP_COORDINATOR_API_H_
#define HPSWEEP_COORDINATOR_API_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "coordinator/group_committer.h"
#include "coordinator/http_server.h"
#include "coordinator/metrics.h"
#include "coordinator/storage_health.h"
#include "coordinator/store.h"
#include "coordinator/sweep_service.h"

namespace hpsweep::coordinator {

struct ApiOptions {
  // Bearer token required for every mutating call and the worker protocol.
  // Empty disables authentication (tests only). Default: empty.
  std::string token;
  // While it says storage is not writable, every mutating request is answered
  // 503 "storage unavailable: ..." and reads are served. Must outlive the Api.
  // Default: none (always writable).
  const StorageHealth* storage = nullptr;
  // Retry-After (seconds) sent with every 503. Default: 5.
  int retry_after_seconds = 5;
};

class Api final : public HttpHandler {
 public:
  // Everything passed in must outlive the Api. `service` is only touched on
  // `service_strand`.
  Api(ApiOptions options, SweepService* service,
      boost::asio::strand<boost::asio::io_context::executor_type> service_strand,
      GroupCommitter* committer, Store* store, boost::asio::thread_pool* blocking,
      Metrics* metrics, Clock* clock);

  HeadResult OnHeaders(const HttpRequest& head) override;
  void Handle(HttpRequest request, ReplyCallback reply) override;
  HttpResponse ErrorResponse(const Status& status) override;

  // The Prometheus text of /metrics (also for tests).
  std::string RenderMetrics();
  // Serves from `service` from now on (the coordinator's state rebuilt from
  // disk). REQUIRES: called on the service strand; `service` outlives its use.
  void SetService(SweepService* service) { service_ = service; }

 private:
  struct Route;
  bool Authorized(const HttpRequest& request) const;
  // Runs `fn` on the service strand.
  void OnService(std::function<void()> fn);
  // Commits `writes`, then replies with `body` (or the commit's error).
  void CommitThenReply(WriteSet writes, proto::Json body, int status, ReplyCallback reply,
                       const std::string& route, int64_t start_us);
  void Reply(ReplyCallback& reply, HttpResponse response, const std::string& route,
             int64_t start_us);
  void Route(HttpRequest request, ReplyCallback reply, int64_t start_us);
  // Checks on the service strand that the trial exists (else replies 404),
  // then runs `then` with the reply on the blocking pool (store reads).
  void WhenTrialExists(uint64_t trial_id, const std::string& route, int64_t start_us,
                       ReplyCallback reply, std::function<void(ReplyCallback)> then);

  ApiOptions options_;
  SweepService* service_;
  boost::asio::strand<boost::asio::io_context::executor_type> service_strand_;
  GroupCommitter* committer_;
  Store* store_;
  boost::asio::thread_pool* blocking_;
  Metrics* metrics_;
  Clock* clock_;
};

// A JSON response with the given status.
HttpResponse JsonResponse(int status, const proto::Json& body);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_API_H_
