#include "coordinator/http/api.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>
#include <functional>
#include <optional>
#include <utility>

#include "common/utf8.h"
#include "coordinator/http/checkpoint_routes.h"
#include "coordinator/http/metrics_render.h"

namespace hpsweep::coordinator {

namespace net = boost::asio;
using proto::Json;

namespace {

StatusOr<int64_t> ParseInt(const std::map<std::string, std::string>& query, const std::string& key,
                           int64_t fallback) {
  auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return fallback;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size()) {
    return InvalidArgumentError("query parameter " + key + " must be an integer, found \"" +
                                    QuoteForMessage(it->second) + "\"",
                                key);
  }
  return v;
}

// A checkpoint step in a path: "0" or an id.
StatusOr<int64_t> ParseStep(std::string_view text) {
  if (text == "0") return 0;
  HPS_ASSIGN_OR_RETURN(uint64_t step, ParsePathId(text, "step"));
  return static_cast<int64_t>(step);
}

template <typename T>
StatusOr<T> ParseBody(const HttpRequest& request) {
  HPS_ASSIGN_OR_RETURN(Json json, proto::ParseJsonText(request.body));
  T value;
  HPS_RETURN_IF_ERROR(proto::FromJson(json, &value));
  return value;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool IsReadMethod(std::string_view method) { return method == "GET" || method == "HEAD"; }

}  // namespace

StatusOr<int64_t> ParseQueryInt(const std::map<std::string, std::string>& query,
                                const std::string& key, int64_t fallback) {
  return ParseInt(query, key, fallback);
}

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = proto::DumpJson(body);  // never throws, whatever a client's string held
  return r;
}

Api::Api(ApiOptions options, SweepService* service,
         net::strand<net::io_context::executor_type> service_strand, GroupCommitter* committer,
         Store* store, net::thread_pool* blocking, Metrics* metrics, Clock* clock)
    : options_(std::move(options)),
      service_(service),
      service_strand_(std::move(service_strand)),
      committer_(committer),
      store_(store),
      blocking_(blocking),
      metrics_(metrics),
      clock_(clock) {}

HttpResponse Api::ErrorResponse(const Status& status) {
  HttpResponse r = JsonResponse(HttpStatusFor(status.code()), proto::ErrorJson(status));
  if (status.code() == StatusCode::kUnauthenticated) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  if (r.status == 503) {
    r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
  }
  return r;
}

std::string Api::RenderMetrics() {
  return RenderMetricsText(*metrics_, service_->Stats(), committer_->Stats());
}

// --- Dispatch -------------------------------------------------------------------

void Api::Handle(HttpRequest request, ReplyCallback reply) {
  const int64_t start_us = clock_->MonotonicMicros();
  RouteMatch match = MatchRoute(request.method, request.path);
  auto fail = [&](std::string_view label, const Status& s) {
    Reply(reply, ErrorResponse(s), label, start_us);
  };
  const Route* route = match.route;
  if (route == nullptr && request.path.compare(0, kApiPrefix.size(), kApiPrefix) != 0) {
    return fail(kUnknownRouteLabel, NotFoundError("no such endpoint: " + request.path));
  }
  const bool mutating = route ? route->mutating : !IsReadMethod(request.method);
  const bool needs_token =
      route ? route->auth != Auth::kOpen && (route->auth != Auth::kNone || options_.token_for_reads)
            : mutating || match.worker_path || options_.token_for_reads;
  if (needs_token && !Authorized(request)) {
    return fail(kUnauthenticatedLabel, UnauthenticatedError("a valid bearer token is required "
                                                            "(Authorization: Bearer <token>)"));
  }
  if (mutating && options_.storage && !options_.storage->writable()) {
    return fail(kStorageUnavailableLabel, options_.storage->Unavailable());
  }
  if (!match.id_error.ok()) return fail(match.id_error_label, match.id_error);
  if (route == nullptr) {
    return fail(kUnknownRouteLabel,
                NotFoundError("no such endpoint: " + request.method + " " + request.path));
  }
  RouteCall call{route, std::move(request), std::move(match.params), std::move(reply), start_us};
  RouteHandlers& handlers = *this;
  (handlers.*(route->handler))(std::move(call));
}

HttpHandler::HeadResult Api::OnHeaders(const HttpRequest& head) {
  RouteMatch match = MatchRoute(head.method, head.path);
  if (match.route == nullptr || !match.route->streamed) return std::monostate();
  if (!Authorized(head)) {
    return ErrorResponse(UnauthenticatedError("a valid bearer token is required"));
  }
  if (options_.storage && !options_.storage->writable()) {
    return ErrorResponse(options_.storage->Unavailable());
  }
  if (!match.id_error.ok()) return ErrorResponse(match.id_error);
  StatusOr<std::shared_ptr<BodySink>> sink = StartUpload(
      RouteCall{match.route, head, std::move(match.params), nullptr, clock_->MonotonicMicros()});
  if (!sink.ok()) return ErrorResponse(sink.status());
  return *sink;
}

// --- Replies and the commit path -----------------------------------------------

bool Api::Authorized(const HttpRequest& request) const {
  if (options_.token.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view auth = request.authorization;
  if (auth.substr(0, kBearer.size()) != kBearer) return false;
  return ConstantTimeEquals(auth.substr(kBearer.size()), options_.token);
}

void Api::OnService(std::function<void()> fn) { net::post(service_strand_, std::move(fn)); }

void Api::Reply(ReplyCallback& reply, HttpResponse response, std::string_view label,
                int64_t start_us) {
  metrics_->ObserveRequest(std::string(label), response.status,
                           static_cast<double>(clock_->MonotonicMicros() - start_us) * 1e-6);
  reply(std::move(response));
}

void Api::Reply(RouteCall& call, HttpResponse response) {
  Reply(call.reply, std::move(response), call.route->label, call.start_us);
}

void Api::ReplyError(RouteCall& call, const Status& status) {
  Reply(call, ErrorResponse(status));
}

template <typename T>
void Api::ReplyJson(RouteCall& call, const StatusOr<T>& body) {
  Reply(call, body.ok() ? JsonResponse(200, proto::ToJson(*body)) : ErrorResponse(body.status()));
}

template <typename T>
void Api::CommitThenReply(StatusOr<Mutation<T>> mutation, int status, RouteCall call) {
  if (!mutation.ok()) return ReplyError(call, mutation.status());
  Json body = proto::ToJson(mutation->response);
  committer_->Submit(std::move(mutation->writes),
                     [this, body = std::move(body), status, call = std::move(call)](Status s) mutable {
                       Reply(call, s.ok() ? JsonResponse(status, body) : ErrorResponse(s));
                     });
}

template <typename F>
void Api::Read(RouteCall call, F read) {
  OnService([this, call = std::move(call), read = std::move(read)]() mutable {
    ReplyJson(call, read());
  });
}

template <typename F>
void Api::Mutate(RouteCall call, int status, F mutate) {
  OnService([this, call = std::move(call), status, mutate = std::move(mutate)]() mutable {
    // The mutation first, then the call is moved on (argument order is
    // unspecified).
    auto mutation = mutate();
    CommitThenReply(std::move(mutation), status, std::move(call));
  });
}

template <typename Request, typename F>
void Api::MutateTrial(RouteCall call, F mutate) {
  StatusOr<Request> body = ParseBody<Request>(call.request);
  if (!body.ok()) return ReplyError(call, body.status());
  const uint64_t trial_id = call.Id("trial_id");
  SweepService* service = service_;
  Mutate(std::move(call), 200, [service, mutate, trial_id, r = std::move(*body)] {
    return std::invoke(mutate, service, trial_id, r);
  });
}

void Api::WhenTrialExists(RouteCall call, std::function<void(RouteCall)> then) {
  OnService([this, call = std::move(call), then = std::move(then)]() mutable {
    Status exists = service_->GetTrial(call.Id("trial_id")).status();
    if (!exists.ok()) return ReplyError(call, exists);
    net::post(*blocking_, [call = std::move(call), then = std::move(then)]() mutable {
      then(std::move(call));
    });
  });
}

// --- Handlers: health, metrics, ask/tell ------------------------------------------

// 200 either way: a degraded coordinator still serves reads, and a restart
// would not bring the disk back.
void Api::Healthz(RouteCall call) {
  proto::Health health;
  if (options_.storage && !options_.storage->writable()) {
    health = {"degraded", options_.storage->Unavailable().message()};
  }
  Reply(call, JsonResponse(200, proto::ToJson(health)));
}

void Api::MetricsText(RouteCall call) {
  OnService([this, call = std::move(call)]() mutable {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = RenderMetrics();
    Reply(call, std::move(r));
  });
}

// The service answers at once or, when the ask waits for a model fit, later on
// the service strand; either way through the one commit path.
void Api::Ask(RouteCall call) {
  StatusOr<proto::AskRequest> body = ParseBody<proto::AskRequest>(call.request);
  if (!body.ok()) return ReplyError(call, body.status());
  OnService([this, r = std::move(*body), call = std::move(call)]() mutable {
    service_->Ask(r, [this, call = std::move(call)](
                         StatusOr<Mutation<proto::AskResponse>> m) mutable {
      CommitThenReply(std::move(m), 200, std::move(call));
    });
  });
}

void Api::ListWorkers(RouteCall call) {
  Read(std::move(call), [this] { return StatusOr<proto::WorkerList>(proto::WorkerList{service_->ListClients()}); });
}

void Api::Heartbeat(RouteCall call) {
  MutateTrial<proto::HeartbeatRequest>(std::move(call), &SweepService::Heartbeat);
}

void Api::Release(RouteCall call) {
  MutateTrial<proto::HeartbeatRequest>(std::move(call), &SweepService::Release);
}

void Api::Report(RouteCall call) {
  MutateTrial<proto::ReportRequest>(std::move(call), &SweepService::Report);
}

void Api::Complete(RouteCall call) {
  MutateTrial<proto::CompleteRequest>(std::move(call), &SweepService::Complete);
}

void Api::Fail(RouteCall call) {
  MutateTrial<proto::FailRequest>(std::move(call), &SweepService::Fail);
}

// --- Handlers: sweeps and trials ----------------------------------------------------

void Api::CreateSweep(RouteCall call) {
  StatusOr<Json> json = proto::ParseJsonText(call.request.body);
  if (!json.ok()) return ReplyError(call, json.status());
  Mutate(std::move(call), 201, [this, j = std::move(*json)] { return service_->CreateSweep(j); });
}

void Api::ListSweeps(RouteCall call) {
  Read(std::move(call), [this] { return StatusOr<proto::SweepList>(proto::SweepList{service_->ListSweeps()}); });
}

void Api::GetSweep(RouteCall call) {
  const uint64_t sweep_id = call.Id("sweep_id");
  Read(std::move(call), [this, sweep_id] { return service_->GetSweep(sweep_id); });
}

void Api::RetrySweep(RouteCall call) {
  const uint64_t sweep_id = call.Id("sweep_id");
  Mutate(std::move(call), 200, [this, sweep_id] { return service_->RetrySweep(sweep_id); });
}

void Api::CancelSweep(RouteCall call) {
  const uint64_t sweep_id = call.Id("sweep_id");
  Mutate(std::move(call), 200, [this, sweep_id] { return service_->CancelSweep(sweep_id); });
}

void Api::BestTrial(RouteCall call) {
  const uint64_t sweep_id = call.Id("sweep_id");
  Read(std::move(call), [this, sweep_id] { return service_->BestTrial(sweep_id); });
}

void Api::ParetoTrials(RouteCall call) {
  const uint64_t sweep_id = call.Id("sweep_id");
  Read(std::move(call), [this, sweep_id] { return service_->ParetoTrials(sweep_id); });
}

void Api::ListTrials(RouteCall call) {
  const std::map<std::string, std::string>& query = call.request.query;
  StatusOr<int64_t> limit = ParseInt(query, "limit", 100);
  if (!limit.ok()) return ReplyError(call, limit.status());
  std::optional<proto::TrialState> state;
  if (auto it = query.find("state"); it != query.end() && !it->second.empty()) {
    state = proto::TrialStateFromName(it->second);
    if (!state) {
      return ReplyError(call,
                        InvalidArgumentError("unknown trial state \"" + it->second + "\"", "state"));
    }
  }
  const std::string token = query.count("page_token") ? query.at("page_token") : "";
  const uint64_t sweep_id = call.Id("sweep_id");
  Read(std::move(call), [this, sweep_id, token, limit = *limit, state] {
    return service_->ListTrials(sweep_id, token, limit, state);
  });
}

void Api::GetTrial(RouteCall call) {
  const uint64_t trial_id = call.Id("trial_id");
  Read(std::move(call), [this, trial_id] { return service_->GetTrial(trial_id); });
}

void Api::TrialMetrics(RouteCall call) {
  StatusOr<int64_t> from = ParseInt(call.request.query, "from_step", 0);
  if (!from.ok()) return ReplyError(call, from.status());
  StatusOr<int64_t> limit = ParseInt(call.request.query, "limit", 0);
  if (!limit.ok()) return ReplyError(call, limit.status());
  WhenTrialExists(std::move(call), [this, from = *from, limit = *limit](RouteCall call) {
    proto::TrialMetrics body;
    body.trial_id = call.Id("trial_id");
    auto points =
        store_->ReadMetrics(body.trial_id, from, static_cast<size_t>(std::max<int64_t>(0, limit)));
    if (!points.ok()) return ReplyError(call, points.status());
    body.points = std::move(*points);
    ReplyJson(call, StatusOr<proto::TrialMetrics>(std::move(body)));
  });
}

// --- Handlers: checkpoints (streaming in checkpoint_routes.h) ----------------------

void Api::ListCheckpoints(RouteCall call) {
  WhenTrialExists(std::move(call), [this](RouteCall call) {
    proto::CheckpointList body;
    body.trial_id = call.Id("trial_id");
    auto stored = store_->ListCheckpoints(body.trial_id);
    if (!stored.ok()) return ReplyError(call, stored.status());
    for (const CheckpointInfo& c : *stored) {
      body.checkpoints.push_back({c.step, c.size_bytes, c.time_us});
    }
    ReplyJson(call, StatusOr<proto::CheckpointList>(std::move(body)));
  });
}

void Api::DownloadCheckpoint(RouteCall call) {
  int64_t step = -1;  // the latest
  if (call.Text("step") != "latest") {
    StatusOr<int64_t> parsed = ParseStep(call.Text("step"));
    if (!parsed.ok()) return ReplyError(call, parsed.status());
    step = *parsed;
  }
  WhenTrialExists(std::move(call), [this, step](RouteCall call) {
    auto reader = store_->OpenCheckpoint(call.Id("trial_id"), step);
    if (!reader.ok()) return ReplyError(call, reader.status());
    Reply(call, CheckpointDownloadResponse(std::move(*reader), blocking_));
  });
}

// A whole body handed to Handle (over HTTP, OnHeaders streams it instead).
void Api::UploadCheckpoint(RouteCall call) {
  StatusOr<std::shared_ptr<BodySink>> sink = StartUpload(call);
  if (!sink.ok()) return call.reply(ErrorResponse(sink.status()));
  std::shared_ptr<BodySink> upload = *sink;
  upload->Write(std::move(call.request.body),
                [this, upload, reply = std::move(call.reply)](Status s) mutable {
                  if (!s.ok()) {
                    upload->Abort();
                    return reply(ErrorResponse(s));
                  }
                  upload->Finish(std::move(reply));
                });
}

StatusOr<std::shared_ptr<BodySink>> Api::StartUpload(RouteCall call) {
  HPS_ASSIGN_OR_RETURN(const int64_t step, ParseStep(call.Text("step")));
  auto client = call.request.query.find("client_id");
  if (client == call.request.query.end() || client->second.empty()) {
    return InvalidArgumentError("query parameter client_id is required", "client_id");
  }
  CheckpointUpload upload;
  upload.trial_id = call.Id("trial_id");
  upload.step = step;
  upload.client_id = client->second;
  upload.on_service = [this](std::function<void()> fn) { OnService(std::move(fn)); };
  upload.service = &service_;
  upload.store = store_;
  upload.blocking = blocking_;
  upload.commit = [this, call](Mutation<proto::CheckpointStored> m, ReplyCallback reply) {
    RouteCall done = call;
    done.reply = std::move(reply);
    CommitThenReply(StatusOr<Mutation<proto::CheckpointStored>>(std::move(m)), 201,
                    std::move(done));
  };
  upload.error = [this](const Status& s) { return ErrorResponse(s); };
  return NewCheckpointSink(std::move(upload));
}

}  // namespace hpsweep::coordinator
