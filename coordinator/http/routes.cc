#include "coordinator/http/routes.h"

#include <algorithm>
#include <charconv>

#include "common/utf8.h"

namespace hpsweep::coordinator {
namespace {

// Splits "a//b/c/" into {"a", "b", "c"}.
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    if (slash != 0) parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// A path parameter that is an id, parsed while matching.
struct IdParam {
  std::string_view name;   // in the pattern, without braces
  std::string_view what;   // in the error message, and its field
  std::string_view label;  // metrics label of the 400
};
constexpr IdParam kIdParams[] = {{"sweep_id", "sweep id", "sweep"},
                                 {"trial_id", "trial id", "trial"}};

const IdParam* FindIdParam(std::string_view name) {
  for (const IdParam& p : kIdParams) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool MethodMatches(const Route& route, std::string_view method) {
  return route.method == "*" || route.method == method;
}

}  // namespace

StatusOr<uint64_t> ParsePathId(std::string_view text, std::string_view what) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id == 0) {
    return InvalidArgumentError(
        "malformed " + std::string(what) + " \"" + QuoteForMessage(text) + "\"", std::string(what));
  }
  return id;
}

const std::vector<Route>& ApiRoutes() {
  using H = RouteHandlers;
  static const auto* routes = new std::vector<Route>{
      // method, pattern, auth, mutating, metrics label, handler[, streamed]
      {"*", "/healthz", Auth::kOpen, false, "healthz", &H::Healthz},
      {"*", "/metrics", Auth::kNone, false, "metrics", &H::MetricsText},
      {"POST", "/api/v1/ask", Auth::kWorker, true, "ask", &H::Ask},
      {"GET", "/api/v1/workers", Auth::kNone, false, "workers", &H::ListWorkers},
      {"POST", "/api/v1/sweeps", Auth::kToken, true, "create_sweep", &H::CreateSweep},
      {"GET", "/api/v1/sweeps", Auth::kNone, false, "list_sweeps", &H::ListSweeps},
      {"GET", "/api/v1/sweeps/{sweep_id}", Auth::kNone, false, "get_sweep", &H::GetSweep},
      {"POST", "/api/v1/sweeps/{sweep_id}/cancel", Auth::kToken, true, "cancel_sweep",
       &H::CancelSweep},
      {"POST", "/api/v1/sweeps/{sweep_id}/retry", Auth::kToken, true, "retry_sweep",
       &H::RetrySweep},
      {"GET", "/api/v1/sweeps/{sweep_id}/best", Auth::kNone, false, "best_trial", &H::BestTrial},
      {"GET", "/api/v1/sweeps/{sweep_id}/pareto", Auth::kNone, false, "pareto_trials",
       &H::ParetoTrials},
      {"GET", "/api/v1/sweeps/{sweep_id}/trials", Auth::kNone, false, "list_trials",
       &H::ListTrials},
      {"GET", "/api/v1/trials/{trial_id}", Auth::kNone, false, "get_trial", &H::GetTrial},
      {"POST", "/api/v1/trials/{trial_id}/heartbeat", Auth::kToken, true, "heartbeat",
       &H::Heartbeat},
      {"POST", "/api/v1/trials/{trial_id}/release", Auth::kToken, true, "release", &H::Release},
      {"POST", "/api/v1/trials/{trial_id}/report", Auth::kToken, true, "report", &H::Report},
      {"POST", "/api/v1/trials/{trial_id}/complete", Auth::kToken, true, "complete",
       &H::Complete},
      {"POST", "/api/v1/trials/{trial_id}/fail", Auth::kToken, true, "fail", &H::Fail},
      {"GET", "/api/v1/trials/{trial_id}/metrics", Auth::kNone, false, "trial_metrics",
       &H::TrialMetrics},
      {"GET", "/api/v1/trials/{trial_id}/checkpoints", Auth::kWorker, false, "list_checkpoints",
       &H::ListCheckpoints},
      {"GET", "/api/v1/trials/{trial_id}/checkpoints/{step}", Auth::kWorker, false,
       "checkpoint_download", &H::DownloadCheckpoint},
      {"PUT", "/api/v1/trials/{trial_id}/checkpoints/{step}", Auth::kWorker, true,
       "checkpoint_upload", &H::UploadCheckpoint, /*streamed=*/true},
      // The dashboard: its page and files, its live feed, downsampled curves.
      {"GET", "/", Auth::kOpen, false, "dashboard_page", &H::DashboardAsset},
      {"GET", "/dashboard/app.js", Auth::kOpen, false, "dashboard_app_js", &H::DashboardAsset},
      {"GET", "/dashboard/charts.js", Auth::kOpen, false, "dashboard_charts_js",
       &H::DashboardAsset},
      {"GET", "/dashboard/pareto.js", Auth::kOpen, false, "dashboard_pareto_js",
       &H::DashboardAsset},
      {"GET", "/dashboard/stream.js", Auth::kOpen, false, "dashboard_stream_js",
       &H::DashboardAsset},
      {"GET", "/dashboard/style.css", Auth::kOpen, false, "dashboard_style_css",
       &H::DashboardAsset},
      {"GET", "/api/v1/events", Auth::kNone, false, "events", &H::Events},
      {"GET", "/api/v1/sweeps/{sweep_id}/curves", Auth::kNone, false, "sweep_curves",
       &H::SweepCurves},
  };
  return *routes;
}

RouteMatch MatchRoute(std::string_view method, std::string_view path) {
  RouteMatch match;
  if (!StartsWith(path, kApiPrefix)) {
    for (const Route& route : ApiRoutes()) {
      if (route.pattern == path && MethodMatches(route, method)) {
        match.route = &route;
        break;
      }
    }
    return match;
  }
  const std::vector<std::string_view> segments = Split(path.substr(kApiPrefix.size()));
  for (const Route& route : ApiRoutes()) {
    if (!StartsWith(route.pattern, kApiPrefix)) continue;
    const std::vector<std::string_view> pattern = Split(route.pattern.substr(kApiPrefix.size()));
    PathParams params;
    // Parameters match any segment; a malformed id is recorded, not a
    // mismatch, so that the route's auth rule still applies before the 400.
    bool matches = pattern.size() == segments.size();
    for (size_t i = 0; i < std::min(pattern.size(), segments.size()); ++i) {
      const std::string_view want = pattern[i];
      if (want.front() != '{') {
        if (want != segments[i]) {
          matches = false;
          break;
        }
        continue;
      }
      const std::string_view name = want.substr(1, want.size() - 2);
      params.text.emplace(std::string(name), std::string(segments[i]));
      const IdParam* id_param = FindIdParam(name);
      if (id_param == nullptr) continue;
      StatusOr<uint64_t> id = ParsePathId(segments[i], id_param->what);
      if (id.ok()) {
        params.ids.emplace(std::string(name), *id);
      } else if (match.id_error.ok()) {
        match.id_error = id.status();
        match.id_error_label = id_param->label;
      }
    }
    if (!matches) continue;
    if (route.auth == Auth::kWorker) match.worker_path = true;
    if (match.route == nullptr && MethodMatches(route, method)) {
      match.route = &route;
      match.params = std::move(params);
    }
  }
  return match;
}

}  // namespace hpsweep::coordinator
