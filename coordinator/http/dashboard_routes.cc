// The Api's dashboard routes: the page and its files (built in, see
// dashboard/assets.h), the live event stream (event_hub.h) and downsampled
// learning curves, paged by trial.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

#include "coordinator/http/api.h"
#include "coordinator/dashboard/assets.h"
#include "coordinator/http/downsample.h"
#include "proto/dashboard_messages.h"

namespace hpsweep::coordinator {

namespace net = boost::asio;

namespace {

// Points of one curve at most, whatever a client asks for.
constexpr int64_t kMaxCurvePoints = 10000;
// Trials per curve page at most (also bounded by the service's page size).
constexpr int64_t kMaxCurveTrials = 1000;

}  // namespace

void Api::DashboardAsset(RouteCall call) {
  const dashboard::Asset* asset = dashboard::FindAsset(call.request.path);
  if (asset == nullptr) return ReplyError(call, NotFoundError("no such file: " + call.request.path));
  HttpResponse r;
  r.content_type = std::string(asset->content_type);
  r.body = std::string(asset->body);
  // The page talks only to this coordinator and runs only its own scripts.
  r.headers = {{"Cache-Control", "no-cache"},
               {"X-Content-Type-Options", "nosniff"},
               {"Content-Security-Policy",
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                "frame-ancestors 'none'"}};
  Reply(call, std::move(r));
}

void Api::Events(RouteCall call) {
  StatusOr<int64_t> after = ParseQueryInt(call.request.query, "after", -1);
  if (!after.ok()) return ReplyError(call, after.status());
  StatusOr<int64_t> sweep_id = ParseQueryInt(call.request.query, "sweep_id", 0);
  if (!sweep_id.ok()) return ReplyError(call, sweep_id.status());
  if (*after < -1 || *sweep_id < 0) {
    return ReplyError(call, InvalidArgumentError("after and sweep_id must be >= 0",
                                                 *after < -1 ? "after" : "sweep_id"));
  }
  if (options_.events == nullptr) {
    return ReplyError(call, UnavailableError("this coordinator serves no event stream"));
  }
  std::optional<uint64_t> from;
  if (*after >= 0) from = static_cast<uint64_t>(*after);
  // Subscribing replays stored events: store reads, on the blocking pool.
  net::post(*blocking_, [this, call = std::move(call), from, sweep = *sweep_id]() mutable {
    HttpResponse r;
    r.content_type = "text/event-stream";
    r.headers = {{"Cache-Control", "no-cache"}};
    r.stream = options_.events->Subscribe(from, static_cast<uint64_t>(sweep));
    Reply(call, std::move(r));
  });
}

void Api::SweepCurves(RouteCall call) {
  const auto& query = call.request.query;
  StatusOr<int64_t> max_points = ParseQueryInt(query, "max_points", 100);
  if (!max_points.ok()) return ReplyError(call, max_points.status());
  StatusOr<int64_t> limit = ParseQueryInt(query, "limit", 200);
  if (!limit.ok()) return ReplyError(call, limit.status());
  if (*max_points < 2 || *max_points > kMaxCurvePoints) {
    return ReplyError(call, InvalidArgumentError("max_points must be 2.." +
                                                     std::to_string(kMaxCurvePoints),
                                                 "max_points"));
  }
  if (*limit < 1) return ReplyError(call, InvalidArgumentError("limit must be >= 1", "limit"));
  auto text = [&](const char* key) {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };
  const std::string page_token = text("page_token");
  std::string metric = text("metric");
  const uint64_t sweep_id = call.Id("sweep_id");
  const auto points = static_cast<size_t>(*max_points);
  const int64_t trials = std::min(*limit, kMaxCurveTrials);
  OnService([this, call = std::move(call), sweep_id, page_token, metric, points,
             trials]() mutable {
    StatusOr<proto::Sweep> sweep = service_->GetSweep(sweep_id);
    if (!sweep.ok()) return ReplyError(call, sweep.status());
    StatusOr<proto::TrialPage> page = service_->ListTrials(sweep_id, page_token, trials, std::nullopt);
    if (!page.ok()) return ReplyError(call, page.status());
    if (metric.empty()) metric = sweep->spec.metric.name;
    net::post(*blocking_, [this, call = std::move(call), page = std::move(*page),
                           metric = std::move(metric), points]() mutable {
      proto::CurvePage body;
      body.metric = metric;
      body.next_page_token = page.next_page_token;
      for (const proto::Trial& trial : page.trials) {
        proto::TrialCurve curve;
        curve.trial_id = trial.id;
        if (trial.last_step >= 0) {
          auto stored = store_->ReadMetrics(trial.id, 0, 0);
          if (!stored.ok()) return ReplyError(call, stored.status());
          std::vector<double> x, y;
          for (const proto::MetricPoint& p : *stored) {
            auto v = p.values.find(metric);
            if (v == p.values.end()) continue;
            x.push_back(static_cast<double>(p.step));
            y.push_back(v->second);
          }
          curve.stored_points = static_cast<int64_t>(x.size());
          for (size_t i : DownsampleLttb(x, y, points)) {
            curve.steps.push_back(static_cast<int64_t>(x[i]));
            curve.values.push_back(y[i]);
          }
        }
        body.curves.push_back(std::move(curve));
      }
      Reply(call, JsonResponse(200, proto::ToJson(body)));
    });
  });
}

}  // namespace hpsweep::coordinator
