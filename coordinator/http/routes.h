// The coordinator's route table: every (method, path) the HTTP API answers,
// with who may call it, whether it writes, its metrics label and its handler.
// The Api dispatches from it (api.h) and openapi_test checks it against
// proto/openapi.yaml, so adding a route is one line here plus its handler.
//
// Handlers are members of RouteHandlers, an interface the Api implements; the
// table holds pointers to those members, so reading the table needs neither
// the Api nor the coordinator's state.
//
// Thread safety: the table is immutable; MatchRoute is a pure function.
#ifndef HPSWEEP_COORDINATOR_HTTP_ROUTES_H_
#define HPSWEEP_COORDINATOR_HTTP_ROUTES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "coordinator/http/http_request.h"

namespace hpsweep::coordinator {

// Prefix of every versioned API path.
inline constexpr std::string_view kApiPrefix = "/api/v1/";

// Who may call a route.
enum class Auth {
  kOpen,    // anyone, always (health, the dashboard's static files: no data)
  kNone,    // anyone, unless ApiOptions::token_for_reads (reads of sweeps and trials, metrics)
  kToken,   // the bearer token (everything that writes)
  kWorker,  // the bearer token, reads included: the worker protocol (ask, checkpoints)
};

// A matched route's path parameters: "{sweep_id}" and "{trial_id}" are parsed
// while matching (a malformed id is 400 before any handler runs); other
// parameters ("{step}") are left to the handler as text.
struct PathParams {
  std::map<std::string, std::string, std::less<>> text;
  std::map<std::string, uint64_t, std::less<>> ids;
};

struct Route;

// One request on its way to a handler.
struct RouteCall {
  const Route* route = nullptr;
  HttpRequest request;
  PathParams params;
  ReplyCallback reply;
  int64_t start_us = 0;  // monotonic, when the Api took the request

  // The parsed id "{name}". REQUIRES: the route's pattern has it.
  uint64_t Id(std::string_view name) const { return params.ids.find(name)->second; }
  // The text of "{name}". REQUIRES: the route's pattern has it.
  const std::string& Text(std::string_view name) const { return params.text.find(name)->second; }
};

// One handler per route. Each must call `call.reply` exactly once, from any
// thread.
class RouteHandlers {
 public:
  virtual void Healthz(RouteCall call) = 0;
  virtual void MetricsText(RouteCall call) = 0;
  virtual void Ask(RouteCall call) = 0;
  virtual void ListWorkers(RouteCall call) = 0;
  virtual void CreateSweep(RouteCall call) = 0;
  virtual void ListSweeps(RouteCall call) = 0;
  virtual void GetSweep(RouteCall call) = 0;
  virtual void CancelSweep(RouteCall call) = 0;
  virtual void RetrySweep(RouteCall call) = 0;
  virtual void BestTrial(RouteCall call) = 0;
  virtual void ParetoTrials(RouteCall call) = 0;
  virtual void ListTrials(RouteCall call) = 0;
  virtual void GetTrial(RouteCall call) = 0;
  virtual void Heartbeat(RouteCall call) = 0;
  virtual void Release(RouteCall call) = 0;
  virtual void Report(RouteCall call) = 0;
  virtual void Complete(RouteCall call) = 0;
  virtual void Fail(RouteCall call) = 0;
  virtual void TrialMetrics(RouteCall call) = 0;
  virtual void ListCheckpoints(RouteCall call) = 0;
  virtual void DownloadCheckpoint(RouteCall call) = 0;
  // Only for a whole body handed to Handle; over HTTP the upload is streamed
  // from OnHeaders (Route::streamed).
  virtual void UploadCheckpoint(RouteCall call) = 0;
  // The dashboard (dashboard_routes.cc).
  virtual void DashboardAsset(RouteCall call) = 0;
  virtual void Events(RouteCall call) = 0;
  virtual void SweepCurves(RouteCall call) = 0;

 protected:
  ~RouteHandlers() = default;
};

struct Route {
  // "GET", "POST", "PUT"; "*" answers every method (documented as GET).
  std::string_view method;
  // "/healthz", or kApiPrefix + segments where "{name}" is a parameter.
  std::string_view pattern;
  Auth auth = Auth::kNone;
  // Writes to the store: refused with 503 while storage is not writable.
  bool mutating = false;
  // The `route` label of hpsweep_http_requests_total and its histogram.
  std::string_view label;
  void (RouteHandlers::*handler)(RouteCall) = nullptr;
  // The body is streamed to the handler from the headers on (Api::OnHeaders)
  // instead of being read whole.
  bool streamed = false;
};

// Every route the API serves.
const std::vector<Route>& ApiRoutes();

// Metrics labels of answers given before any route's handler runs.
inline constexpr std::string_view kUnknownRouteLabel = "unknown";
inline constexpr std::string_view kUnauthenticatedLabel = "unauthenticated";
inline constexpr std::string_view kStorageUnavailableLabel = "storage_unavailable";

struct RouteMatch {
  // The route for this method and path; null when there is none.
  const Route* route = nullptr;
  PathParams params;
  // Some route at this path, for any method, is worker protocol (Auth::kWorker).
  bool worker_path = false;
  // A malformed "{sweep_id}" or "{trial_id}" in the path (INVALID_ARGUMENT),
  // and the metrics label it is answered under ("sweep", "trial"). Checked on
  // every route whose pattern the path begins like, so that a malformed id
  // is a 400 even where no route matches the rest of the path.
  Status id_error;
  std::string_view id_error_label;
};

// Parses a path id: a decimal integer > 0. INVALID_ARGUMENT `malformed <what>
// "<text>"`, with `what` as its field, otherwise.
StatusOr<uint64_t> ParsePathId(std::string_view text, std::string_view what);

// Finds the route for `method` and the decoded `path`. Paths under kApiPrefix
// are matched segment by segment (empty segments ignored); others exactly.
RouteMatch MatchRoute(std::string_view method, std::string_view path);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_ROUTES_H_
