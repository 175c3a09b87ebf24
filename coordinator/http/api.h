// Api: the coordinator's HTTP/JSON API v1 (documented in proto/openapi.yaml),
// as an HttpHandler. It finds each request's route in the route table
// (routes.h), applies the route's auth and read-only rules, and runs its
// handler: on the SweepService (on one strand), making writes durable through
// the GroupCommitter and replying only after that. Store reads and checkpoint
// I/O run on a blocking pool, never on the network strand. Every JSON body is
// a proto/ message.
//
// Before a handler runs, in this order (metrics labels in routes.h):
//   not under /api/v1/ and no route          404 "no such endpoint: PATH"
//   route needs the token (or, with no route, the method writes or the path
//     is worker protocol) and it is missing  401
//   the request writes, storage not writable 503 "storage unavailable: ..."
//   malformed sweep or trial id in the path  400
//   no route for this method and path        404 "no such endpoint: METHOD PATH"
//
// Thread safety: thread-safe; HttpServer calls it from any session strand.
#ifndef HPSWEEP_COORDINATOR_HTTP_API_H_
#define HPSWEEP_COORDINATOR_HTTP_API_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "coordinator/http/event_hub.h"
#include "coordinator/store/group_committer.h"
#include "coordinator/http/http_request.h"
#include "coordinator/metrics.h"
#include "coordinator/http/routes.h"
#include "coordinator/store/storage_health.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_service.h"

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
  // Reads need the token too (routes with Auth::kNone); for a coordinator
  // bound to a shared network. Health and the dashboard's static files stay
  // open. Default: false.
  bool token_for_reads = false;
  // Serves GET /api/v1/events; without it that route answers 503. Must
  // outlive the Api. Default: none.
  EventHub* events = nullptr;
};

class Api final : public HttpHandler, private RouteHandlers {
 public:
  // Everything passed in must outlive the Api. `service` is only touched on
  // `service_strand`.
  Api(ApiOptions options, SweepService* service,
      boost::asio::strand<boost::asio::io_context::executor_type> service_strand,
      GroupCommitter* committer, Store* store, boost::asio::thread_pool* blocking,
      Metrics* metrics, Clock* clock);

  // Streams the body of a route marked `streamed` (checkpoint upload).
  HeadResult OnHeaders(const HttpRequest& head) override;
  void Handle(HttpRequest request, ReplyCallback reply) override;
  HttpResponse ErrorResponse(const Status& status) override;

  // The Prometheus text of /metrics. REQUIRES: called on the service strand.
  std::string RenderMetrics();
  // Serves from `service` from now on (the coordinator's state rebuilt from
  // disk). REQUIRES: called on the service strand; `service` outlives its use.
  void SetService(SweepService* service) { service_ = service; }

 private:
  // RouteHandlers (routes.h); api.cc says what each answers.
  void Healthz(RouteCall call) override;
  void MetricsText(RouteCall call) override;
  void Ask(RouteCall call) override;
  void ListWorkers(RouteCall call) override;
  void CreateSweep(RouteCall call) override;
  void ListSweeps(RouteCall call) override;
  void GetSweep(RouteCall call) override;
  void CancelSweep(RouteCall call) override;
  void RetrySweep(RouteCall call) override;
  void BestTrial(RouteCall call) override;
  void ParetoTrials(RouteCall call) override;
  void ListTrials(RouteCall call) override;
  void GetTrial(RouteCall call) override;
  void Heartbeat(RouteCall call) override;
  void Release(RouteCall call) override;
  void Report(RouteCall call) override;
  void Complete(RouteCall call) override;
  void Fail(RouteCall call) override;
  void TrialMetrics(RouteCall call) override;
  void ListCheckpoints(RouteCall call) override;
  void DownloadCheckpoint(RouteCall call) override;
  void UploadCheckpoint(RouteCall call) override;
  // dashboard_routes.cc
  void DashboardAsset(RouteCall call) override;
  void Events(RouteCall call) override;
  void SweepCurves(RouteCall call) override;

  bool Authorized(const HttpRequest& request) const;
  // Runs `fn` on the service strand.
  void OnService(std::function<void()> fn);
  // Sends `response` and records it under `label`.
  void Reply(ReplyCallback& reply, HttpResponse response, std::string_view label,
             int64_t start_us);
  void Reply(RouteCall& call, HttpResponse response);
  void ReplyError(RouteCall& call, const Status& status);
  // 200 with `body` as JSON, or its error.
  template <typename T>
  void ReplyJson(RouteCall& call, const StatusOr<T>& body);
  // The one path of every write: commits the mutation's writes, then replies
  // `status` with its response (or the error of the call or the commit).
  template <typename T>
  void CommitThenReply(StatusOr<Mutation<T>> mutation, int status, RouteCall call);
  // Runs `read` (→ StatusOr<T>) on the service strand and replies with it.
  template <typename F>
  void Read(RouteCall call, F read);
  // Runs `mutate` (→ StatusOr<Mutation<T>>) on the service strand and commits.
  template <typename F>
  void Mutate(RouteCall call, int status, F mutate);
  // Parses the body as `Request`, then mutates with `mutate(trial_id, request)`.
  template <typename Request, typename F>
  void MutateTrial(RouteCall call, F mutate);
  // Checks on the service strand that the trial exists (else replies 404),
  // then runs `then` on the blocking pool (store reads).
  void WhenTrialExists(RouteCall call, std::function<void(RouteCall)> then);
  // The sink of a checkpoint upload, or the error that refuses it.
  StatusOr<std::shared_ptr<BodySink>> StartUpload(RouteCall call);

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
// The integer query parameter `key`, `fallback` when absent or empty;
// INVALID_ARGUMENT naming it when it is not an integer.
StatusOr<int64_t> ParseQueryInt(const std::map<std::string, std::string>& query,
                                const std::string& key, int64_t fallback);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_API_H_
