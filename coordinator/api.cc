#include "coordinator/api.h"

#include <boost/asio/post.hpp>
#include <charconv>
#include <sstream>

#include "common/logging.h"

namespace hpsweep::coordinator {

namespace net = boost::asio;
using proto::Json;

namespace {

constexpr std::string_view kPrefix = "/api/v1/";

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

StatusOr<uint64_t> ParseId(std::string_view text, const char* what) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id == 0) {
    return InvalidArgumentError(std::string("malformed ") + what + " \"" + std::string(text) + "\"",
                                what);
  }
  return id;
}

StatusOr<int64_t> ParseInt(const std::map<std::string, std::string>& query, const std::string& key,
                           int64_t fallback) {
  auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return fallback;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size()) {
    return InvalidArgumentError("query parameter " + key + " must be an integer, found \"" +
                                    it->second + "\"",
                                key);
  }
  return v;
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

}  // namespace

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

bool Api::Authorized(const HttpRequest& request) const {
  if (options_.token.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view auth = request.authorization;
  if (auth.substr(0, kBearer.size()) != kBearer) return false;
  return ConstantTimeEquals(auth.substr(kBearer.size()), options_.token);
}

void Api::OnService(std::function<void()> fn) { net::post(service_strand_, std::move(fn)); }

void Api::Reply(ReplyCallback& reply, HttpResponse response, const std::string& route,
                int64_t start_us) {
  metrics_->ObserveRequest(route, response.status,
                           static_cast<double>(clock_->MonotonicMicros() - start_us) * 1e-6);
  reply(std::move(response));
}

void Api::CommitThenReply(WriteSet writes, Json body, int status, ReplyCallback reply,
                          const std::string& route, int64_t start_us) {
  committer_->Submit(std::move(writes), [this, body = std::move(body), status,
                                         reply = std::move(reply), route,
                                         start_us](Status s) mutable {
    Reply(reply, s.ok() ? JsonResponse(status, body) : ErrorResponse(s), route, start_us);
  });
}

// --- checkpoint streaming -------------------------------------------------------

namespace {

// Streams an uploaded checkpoint into the store. The lease is checked before
// the first byte is stored and again before the checkpoint is recorded.
class CheckpointSink final : public BodySink, public std::enable_shared_from_this<CheckpointSink> {
 public:
  // `service` points at the Api's current service, read on the service strand.
  CheckpointSink(std::function<void(std::function<void()>)> on_service,
                 SweepService* const* service,
                 Store* store, net::thread_pool* blocking, uint64_t trial_id, int64_t step,
                 std::string client_id, std::function<void(WriteSet, Json, ReplyCallback)> commit,
                 std::function<HttpResponse(const Status&)> error)
      : on_service_(std::move(on_service)),
        service_(service),
        store_(store),
        blocking_(blocking),
        trial_id_(trial_id),
        step_(step),
        client_id_(std::move(client_id)),
        commit_(std::move(commit)),
        error_(std::move(error)) {}

  void Write(std::string chunk, std::function<void(Status)> done) override {
    CheckLeaseThen([self = shared_from_this(), chunk = std::move(chunk), done](Status s) mutable {
      if (!s.ok()) return done(s);
      net::post(*self->blocking_, [self, chunk = std::move(chunk), done] {
        Status st = self->EnsureWriter();
        if (st.ok()) st = self->writer_->Append(chunk);
        done(st);
      });
    });
  }

  void Finish(ReplyCallback reply) override {
    CheckLeaseThen([self = shared_from_this(), reply = std::move(reply)](Status s) mutable {
      if (!s.ok()) return reply(self->error_(s));
      net::post(*self->blocking_, [self, reply = std::move(reply)]() mutable {
        Status st = self->EnsureWriter();
        StatusOr<CheckpointInfo> info = st.ok() ? self->writer_->Finish() : StatusOr<CheckpointInfo>(st);
        self->writer_.reset();
        if (!info.ok()) return reply(self->error_(info.status()));
        self->on_service_([self, info = *info, reply = std::move(reply)]() mutable {
          auto m = (*self->service_)->CheckpointStored(self->trial_id_, info.step);
          if (!m.ok()) return reply(self->error_(m.status()));
          Json body = {{"trial_id", info.trial_id},
                       {"step", info.step},
                       {"size_bytes", info.size_bytes}};
          self->commit_(std::move(m->writes), std::move(body), std::move(reply));
        });
      });
    });
  }

  void Abort() override {
    net::post(*blocking_, [self = shared_from_this()] { self->writer_.reset(); });
  }

 private:
  void CheckLeaseThen(std::function<void(Status)> next) {
    on_service_([self = shared_from_this(), next = std::move(next)] {
      next((*self->service_)->CheckCheckpointUpload(self->trial_id_, self->client_id_));
    });
  }

  // Runs on the blocking pool.
  Status EnsureWriter() {
    if (writer_) return Status();
    HPS_ASSIGN_OR_RETURN(writer_, store_->BeginCheckpoint(trial_id_, step_));
    return Status();
  }

  std::function<void(std::function<void()>)> on_service_;
  SweepService* const* service_;
  Store* store_;
  net::thread_pool* blocking_;
  uint64_t trial_id_;
  int64_t step_;
  std::string client_id_;
  std::function<void(WriteSet, Json, ReplyCallback)> commit_;
  std::function<HttpResponse(const Status&)> error_;
  std::unique_ptr<CheckpointWriter> writer_;  // touched only on the blocking pool, in order
};

// Streams a stored checkpoint out, one chunk per read on the blocking pool.
class CheckpointSource final : public BodySource {
 public:
  CheckpointSource(std::unique_ptr<CheckpointReader> reader, net::thread_pool* blocking)
      : reader_(std::move(reader)), blocking_(blocking) {}

  void Next(NextCallback next) override {
    net::post(*blocking_, [this, next = std::move(next)] {
      std::string chunk;
      StatusOr<bool> more = reader_->Next(&chunk);
      if (!more.ok()) return next(more.status());
      if (!*more) return next(std::optional<std::string>());
      next(std::optional<std::string>(std::move(chunk)));
    });
  }

 private:
  std::unique_ptr<CheckpointReader> reader_;
  net::thread_pool* blocking_;
};

// Matches PUT /api/v1/trials/{id}/checkpoints/{step}.
bool IsCheckpointUpload(const HttpRequest& r, std::vector<std::string_view>* parts) {
  if (r.method != "PUT" || r.path.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  *parts = Split(std::string_view(r.path).substr(kPrefix.size()));
  return parts->size() == 4 && (*parts)[0] == "trials" && (*parts)[2] == "checkpoints";
}

}  // namespace

HttpHandler::HeadResult Api::OnHeaders(const HttpRequest& head) {
  std::vector<std::string_view> parts;
  if (!IsCheckpointUpload(head, &parts)) return std::monostate();
  if (!Authorized(head)) {
    return ErrorResponse(UnauthenticatedError("a valid bearer token is required"));
  }
  if (options_.storage && !options_.storage->writable()) {
    return ErrorResponse(options_.storage->Unavailable());
  }
  auto trial = ParseId(parts[1], "trial id");
  if (!trial.ok()) return ErrorResponse(trial.status());
  auto step = ParseId(parts[3], "step");
  if (!step.ok() && parts[3] != "0") return ErrorResponse(step.status());
  auto client = head.query.find("client_id");
  if (client == head.query.end() || client->second.empty()) {
    return ErrorResponse(InvalidArgumentError("query parameter client_id is required", "client_id"));
  }
  const int64_t start_us = clock_->MonotonicMicros();
  return std::shared_ptr<BodySink>(std::make_shared<CheckpointSink>(
      [this](std::function<void()> fn) { OnService(std::move(fn)); }, &service_, store_, blocking_,
      *trial, step.ok() ? static_cast<int64_t>(*step) : 0, client->second,
      [this, start_us](WriteSet writes, Json body, ReplyCallback reply) {
        CommitThenReply(std::move(writes), std::move(body), 201, std::move(reply),
                        "checkpoint_upload", start_us);
      },
      [this](const Status& s) { return ErrorResponse(s); }));
}

void Api::WhenTrialExists(uint64_t trial_id, const std::string& route, int64_t start_us,
                          ReplyCallback reply, std::function<void(ReplyCallback)> then) {
  OnService([this, trial_id, route, start_us, reply = std::move(reply),
             then = std::move(then)]() mutable {
    Status exists = service_->GetTrial(trial_id).status();
    if (!exists.ok()) return Reply(reply, ErrorResponse(exists), route, start_us);
    net::post(*blocking_, [reply = std::move(reply), then = std::move(then)]() mutable {
      then(std::move(reply));
    });
  });
}

void Api::Handle(HttpRequest request, ReplyCallback reply) {
  Route(std::move(request), std::move(reply), clock_->MonotonicMicros());
}

void Api::Route(HttpRequest req, ReplyCallback reply, int64_t start_us) {
  const std::string method = req.method;
  auto fail = [&](const std::string& route, const Status& s) {
    Reply(reply, ErrorResponse(s), route, start_us);
  };
  if (req.path == "/healthz") {
    // 200 either way: a degraded coordinator still serves reads, and a restart
    // would not bring the disk back.
    Json health = {{"status", "ok"}};
    if (options_.storage && !options_.storage->writable()) {
      health = {{"status", "degraded"}, {"reason", options_.storage->Unavailable().message()}};
    }
    return Reply(reply, JsonResponse(200, health), "healthz", start_us);
  }
  if (req.path == "/metrics") {
    return OnService([this, reply = std::move(reply), start_us]() mutable {
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = RenderMetrics();
      Reply(reply, std::move(r), "metrics", start_us);
    });
  }
  if (req.path.compare(0, kPrefix.size(), kPrefix) != 0) {
    return fail("unknown", NotFoundError("no such endpoint: " + req.path));
  }
  const bool mutating = method != "GET" && method != "HEAD";
  std::vector<std::string_view> p = Split(std::string_view(req.path).substr(kPrefix.size()));
  const bool worker_protocol = !p.empty() && (p[0] == "ask" || (p.size() >= 3 && p[2] == "checkpoints"));
  if ((mutating || worker_protocol) && !Authorized(req)) {
    return fail("unauthenticated", UnauthenticatedError("a valid bearer token is required "
                                                        "(Authorization: Bearer <token>)"));
  }
  if (mutating && options_.storage && !options_.storage->writable()) {
    return fail("storage_unavailable", options_.storage->Unavailable());
  }
  auto no_route = [&] {
    fail("unknown", NotFoundError("no such endpoint: " + method + " " + req.path));
  };
  if (p.empty()) return no_route();

  // Runs `fn(service)` on the service strand; fn returns StatusOr<Mutation<T>>
  // or StatusOr<T> and the result is committed (if needed) and sent.
  auto mutate = [&](std::string route, int status, auto fn) {
    OnService([this, route, status, fn = std::move(fn), reply = std::move(reply), start_us]() mutable {
      auto m = fn();
      if (!m.ok()) return Reply(reply, ErrorResponse(m.status()), route, start_us);
      CommitThenReply(std::move(m->writes), proto::ToJson(m->response), status, std::move(reply),
                      route, start_us);
    });
  };
  auto read = [&](std::string route, auto fn) {
    OnService([this, route, fn = std::move(fn), reply = std::move(reply), start_us]() mutable {
      StatusOr<Json> body = fn();
      Reply(reply, body.ok() ? JsonResponse(200, *body) : ErrorResponse(body.status()), route,
            start_us);
    });
  };

  if (p[0] == "ask" && p.size() == 1 && method == "POST") {
    auto body = ParseBody<proto::AskRequest>(req);
    if (!body.ok()) return fail("ask", body.status());
    // The service answers at once or, when the ask waits for a model fit,
    // later on the service strand; either way the writes are committed first.
    return OnService([this, r = *body, reply = std::move(reply), start_us]() mutable {
      service_->Ask(r, [this, reply = std::move(reply),
                        start_us](StatusOr<Mutation<proto::AskResponse>> m) mutable {
        if (!m.ok()) return Reply(reply, ErrorResponse(m.status()), "ask", start_us);
        CommitThenReply(std::move(m->writes), proto::ToJson(m->response), 200, std::move(reply),
                        "ask", start_us);
      });
    });
  }
  if (p[0] == "workers" && p.size() == 1 && method == "GET") {
    return read("workers", [this]() -> StatusOr<Json> {
      Json out = Json::array();
      for (const auto& c : service_->ListClients()) out.push_back(proto::ToJson(c));
      return Json{{"workers", out}};
    });
  }
  if (p[0] == "sweeps") {
    if (p.size() == 1 && method == "POST") {
      auto json = proto::ParseJsonText(req.body);
      if (!json.ok()) return fail("create_sweep", json.status());
      return mutate("create_sweep", 201, [this, j = *json] { return service_->CreateSweep(j); });
    }
    if (p.size() == 1 && method == "GET") {
      return read("list_sweeps", [this]() -> StatusOr<Json> {
        Json out = Json::array();
        for (const auto& s : service_->ListSweeps()) out.push_back(proto::ToJson(s));
        return Json{{"sweeps", out}};
      });
    }
    if (p.size() < 2) return no_route();
    auto id = ParseId(p[1], "sweep id");
    if (!id.ok()) return fail("sweep", id.status());
    const uint64_t sweep_id = *id;
    if (p.size() == 2 && method == "GET") {
      return read("get_sweep", [this, sweep_id]() -> StatusOr<Json> {
        HPS_ASSIGN_OR_RETURN(proto::Sweep s, service_->GetSweep(sweep_id));
        return proto::ToJson(s);
      });
    }
    if (p.size() == 3 && p[2] == "cancel" && method == "POST") {
      return mutate("cancel_sweep", 200, [this, sweep_id] { return service_->CancelSweep(sweep_id); });
    }
    if (p.size() == 3 && p[2] == "best" && method == "GET") {
      return read("best_trial", [this, sweep_id]() -> StatusOr<Json> {
        HPS_ASSIGN_OR_RETURN(proto::Trial t, service_->BestTrial(sweep_id));
        return proto::ToJson(t);
      });
    }
    if (p.size() == 3 && p[2] == "trials" && method == "GET") {
      auto limit = ParseInt(req.query, "limit", 100);
      if (!limit.ok()) return fail("list_trials", limit.status());
      std::optional<proto::TrialState> state;
      if (auto it = req.query.find("state"); it != req.query.end() && !it->second.empty()) {
        state = proto::TrialStateFromName(it->second);
        if (!state) {
          return fail("list_trials",
                      InvalidArgumentError("unknown trial state \"" + it->second + "\"", "state"));
        }
      }
      std::string token = req.query.count("page_token") ? req.query.at("page_token") : "";
      return read("list_trials", [this, sweep_id, token, limit = *limit, state]() -> StatusOr<Json> {
        HPS_ASSIGN_OR_RETURN(proto::TrialPage page, service_->ListTrials(sweep_id, token, limit, state));
        return proto::ToJson(page);
      });
    }
    return no_route();
  }
  if (p[0] == "trials" && p.size() >= 2) {
    auto id = ParseId(p[1], "trial id");
    if (!id.ok()) return fail("trial", id.status());
    const uint64_t trial_id = *id;
    if (p.size() == 2 && method == "GET") {
      return read("get_trial", [this, trial_id]() -> StatusOr<Json> {
        HPS_ASSIGN_OR_RETURN(proto::Trial t, service_->GetTrial(trial_id));
        return proto::ToJson(t);
      });
    }
    if (p.size() == 3 && method == "POST") {
      if (p[2] == "heartbeat") {
        auto body = ParseBody<proto::HeartbeatRequest>(req);
        if (!body.ok()) return fail("heartbeat", body.status());
        return mutate("heartbeat", 200, [this, trial_id, r = *body] { return service_->Heartbeat(trial_id, r); });
      }
      if (p[2] == "report") {
        auto body = ParseBody<proto::ReportRequest>(req);
        if (!body.ok()) return fail("report", body.status());
        return mutate("report", 200, [this, trial_id, r = *body] { return service_->Report(trial_id, r); });
      }
      if (p[2] == "complete") {
        auto body = ParseBody<proto::CompleteRequest>(req);
        if (!body.ok()) return fail("complete", body.status());
        return mutate("complete", 200, [this, trial_id, r = *body] { return service_->Complete(trial_id, r); });
      }
      if (p[2] == "release") {
        auto body = ParseBody<proto::HeartbeatRequest>(req);
        if (!body.ok()) return fail("release", body.status());
        return mutate("release", 200, [this, trial_id, r = *body] { return service_->Release(trial_id, r); });
      }
      if (p[2] == "fail") {
        auto body = ParseBody<proto::FailRequest>(req);
        if (!body.ok()) return fail("fail", body.status());
        return mutate("fail", 200, [this, trial_id, r = *body] { return service_->Fail(trial_id, r); });
      }
    }
    if (p.size() == 3 && p[2] == "metrics" && method == "GET") {
      auto from = ParseInt(req.query, "from_step", 0);
      auto limit = ParseInt(req.query, "limit", 0);
      if (!from.ok()) return fail("metrics", from.status());
      if (!limit.ok()) return fail("metrics", limit.status());
      return WhenTrialExists(trial_id, "trial_metrics", start_us, std::move(reply),
                             [this, trial_id, from = *from, limit = *limit,
                                    start_us](ReplyCallback reply) mutable {
        auto points = store_->ReadMetrics(trial_id, from, static_cast<size_t>(std::max<int64_t>(0, limit)));
        if (!points.ok()) return Reply(reply, ErrorResponse(points.status()), "trial_metrics", start_us);
        Json out = Json::array();
        for (const auto& pt : *points) out.push_back(proto::ToJson(pt));
        Reply(reply, JsonResponse(200, {{"trial_id", trial_id}, {"points", out}}), "trial_metrics",
              start_us);
      });
    }
    if (p.size() == 3 && p[2] == "checkpoints" && method == "GET") {
      return WhenTrialExists(trial_id, "list_checkpoints", start_us, std::move(reply),
                             [this, trial_id, start_us](ReplyCallback reply) mutable {
        auto list = store_->ListCheckpoints(trial_id);
        if (!list.ok()) return Reply(reply, ErrorResponse(list.status()), "list_checkpoints", start_us);
        Json out = Json::array();
        for (const auto& c : *list) {
          out.push_back({{"step", c.step}, {"size_bytes", c.size_bytes}, {"time_us", c.time_us}});
        }
        Reply(reply, JsonResponse(200, {{"trial_id", trial_id}, {"checkpoints", out}}),
              "list_checkpoints", start_us);
      });
    }
    if (p.size() == 4 && p[2] == "checkpoints" && method == "GET") {
      int64_t step = -1;
      if (p[3] != "latest") {
        auto parsed = ParseId(p[3], "step");
        if (!parsed.ok() && p[3] != "0") return fail("checkpoint_download", parsed.status());
        step = parsed.ok() ? static_cast<int64_t>(*parsed) : 0;
      }
      return WhenTrialExists(trial_id, "checkpoint_download", start_us, std::move(reply),
                             [this, trial_id, step, start_us](ReplyCallback reply) mutable {
        auto reader = store_->OpenCheckpoint(trial_id, step);
        if (!reader.ok()) {
          return Reply(reply, ErrorResponse(reader.status()), "checkpoint_download", start_us);
        }
        HttpResponse r;
        r.content_type = "application/octet-stream";
        r.headers.emplace_back("X-Checkpoint-Step", std::to_string((*reader)->info().step));
        r.headers.emplace_back("X-Checkpoint-Size", std::to_string((*reader)->info().size_bytes));
        r.stream = std::make_shared<CheckpointSource>(std::move(*reader), blocking_);
        Reply(reply, std::move(r), "checkpoint_download", start_us);
      });
    }
    return no_route();
  }
  no_route();
}

std::string Api::RenderMetrics() {
  const ServiceStats s = service_->Stats();
  const CommitStats c = committer_->Stats();
  std::ostringstream out;
  out << "# HELP hpsweep_sweeps Sweeps known to the coordinator.\n"
      << "# TYPE hpsweep_sweeps gauge\nhpsweep_sweeps " << s.sweeps << "\n"
      << "# HELP hpsweep_trials Trials by state.\n"
      << "# TYPE hpsweep_trials gauge\n";
  for (const auto& [state, n] : s.trials_by_state) {
    out << "hpsweep_trials{state=\"" << proto::TrialStateName(state) << "\"} " << n << "\n";
  }
  out << "# HELP hpsweep_leases_expired_total Leases that ran out before their trial ended.\n"
      << "# TYPE hpsweep_leases_expired_total counter\nhpsweep_leases_expired_total "
      << s.leases_expired << "\n"
      << "# HELP hpsweep_trials_requeued_total Trials put back to pending after a lease expired.\n"
      << "# TYPE hpsweep_trials_requeued_total counter\nhpsweep_trials_requeued_total "
      << s.trials_requeued << "\n"
      << "# HELP hpsweep_clients Workers and ask/tell clients seen.\n"
      << "# TYPE hpsweep_clients gauge\nhpsweep_clients " << s.clients << "\n"
      << "# HELP hpsweep_suggestions_fallback_total Trials given a quasi-random point because no "
         "fresh model suggestion came within the sweep's wait bound (or the fit failed).\n"
      << "# TYPE hpsweep_suggestions_fallback_total counter\nhpsweep_suggestions_fallback_total "
      << s.suggestions_fallback << "\n"
      << "# HELP hpsweep_suggestions_computed_total Suggestions computed by slow searchers in "
         "the background.\n"
      << "# TYPE hpsweep_suggestions_computed_total counter\nhpsweep_suggestions_computed_total "
      << s.suggestions_computed << "\n"
      << "# HELP hpsweep_suggestions_stale_total Computed suggestions dropped because a result "
         "arrived while they were computed.\n"
      << "# TYPE hpsweep_suggestions_stale_total counter\nhpsweep_suggestions_stale_total "
      << s.suggestions_stale << "\n"
      << "# HELP hpsweep_asks_deferred_total Asks that waited for a model fit.\n"
      << "# TYPE hpsweep_asks_deferred_total counter\nhpsweep_asks_deferred_total "
      << s.asks_deferred << "\n"
      << "# HELP hpsweep_asks_waiting Asks waiting for a model fit now.\n"
      << "# TYPE hpsweep_asks_waiting gauge\nhpsweep_asks_waiting " << s.asks_waiting << "\n"
      << "# HELP hpsweep_suggestion_errors_total Background suggestion computations that failed.\n"
      << "# TYPE hpsweep_suggestion_errors_total counter\nhpsweep_suggestion_errors_total "
      << s.suggestion_errors << "\n"
      << "# HELP hpsweep_suggestion_seconds_total Time spent computing suggestions in the "
         "background.\n"
      << "# TYPE hpsweep_suggestion_seconds_total counter\nhpsweep_suggestion_seconds_total "
      << s.suggestion_seconds << "\n"
      << "# HELP hpsweep_commit_batches_total Group commits (one synced store write each).\n"
      << "# TYPE hpsweep_commit_batches_total counter\nhpsweep_commit_batches_total " << c.batches
      << "\n"
      << "# HELP hpsweep_commit_submissions_total Write sets submitted for commit.\n"
      << "# TYPE hpsweep_commit_submissions_total counter\nhpsweep_commit_submissions_total "
      << c.submissions << "\n"
      << "# HELP hpsweep_commit_seconds_total Time spent in store commits.\n"
      << "# TYPE hpsweep_commit_seconds_total counter\nhpsweep_commit_seconds_total "
      << static_cast<double>(c.commit_micros) * 1e-6 << "\n";
  return metrics_->Render(out.str());
}

}  // namespace hpsweep::coordinator
