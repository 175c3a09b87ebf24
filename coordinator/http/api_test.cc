// Api: the route table's dispatch and every rule applied before a handler
// (auth, read-only storage, ids, unknown routes), and the handlers, driven
// through HttpHandler without sockets, on the real SweepService and
// GroupCommitter over the in-memory store, with a fake clock.
#include "coordinator/http/api.h"

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "coordinator/http/api_stack.h"
#include "coordinator/http/http_request.h"
#include "coordinator/store/storage_health.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_service.h"
#include "gtest/gtest.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

constexpr char kToken[] = "secret";

Json RandomSweep(int max_trials) {
  return {{"name", "api-test"},
          {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
          {"method", "random"},
          {"parameters", {{"x", {{"min", -2.0}, {"max", 2.0}}}}},
          {"max_trials", max_trials},
          {"seed", 3},
          {"program", {{"external", true}}}};
}

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() : stack_(ApiOptions{kToken, &storage_, 7}, 8, [](const Status&) {}) {
    EXPECT_TRUE(stack_.Start().ok());
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& token = kToken) {
    return stack_.Send(method, target, body, token);
  }

  static Json Body(const HttpResponse& r) {
    auto json = proto::ParseJsonText(r.body);
    EXPECT_TRUE(json.ok()) << r.body;
    return json.ok() ? *json : Json();
  }

  static std::string ErrorCode(const HttpResponse& r) {
    return Body(r)["error"].value("code", "");
  }

  // Creates a sweep and returns its id.
  uint64_t CreateSweep(int max_trials = 3) {
    HttpResponse r = Send("POST", "/api/v1/sweeps", RandomSweep(max_trials).dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Body(r).value("id", uint64_t{0});
  }

  // Leases one trial to `client` and returns its id.
  uint64_t AskOne(const std::string& client) {
    HttpResponse r = Send("POST", "/api/v1/ask", Json{{"client_id", client}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    proto::AskResponse ask;
    EXPECT_TRUE(proto::FromJson(Body(r), &ask).ok()) << r.body;
    EXPECT_EQ(ask.trials.size(), 1u) << r.body;
    return ask.trials.empty() ? 0 : ask.trials[0].trial.id;
  }

  StorageHealth storage_;  // before the stack, which holds a pointer to it
  ApiStack stack_;
};

TEST_F(ApiTest, CreateListAndGetSweep) {
  HttpResponse created = Send("POST", "/api/v1/sweeps", RandomSweep(3).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.content_type, "application/json");
  proto::Sweep sweep;
  ASSERT_TRUE(proto::FromJson(Body(created), &sweep).ok()) << created.body;
  EXPECT_EQ(sweep.id, 1u);
  EXPECT_EQ(sweep.spec.name, "api-test");

  HttpResponse list = Send("GET", "/api/v1/sweeps", "", "");
  ASSERT_EQ(list.status, 200) << list.body;
  proto::SweepList sweeps;
  ASSERT_TRUE(proto::FromJson(Body(list), &sweeps).ok()) << list.body;
  ASSERT_EQ(sweeps.sweeps.size(), 1u);
  EXPECT_EQ(sweeps.sweeps[0].id, 1u);

  HttpResponse got = Send("GET", "/api/v1/sweeps/1", "", "");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Body(got)["id"], 1);
  EXPECT_EQ(Body(got)["spec"]["name"], "api-test");

  // The write was durable before the reply.
  auto stored = stack_.store().LoadSweeps();
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 1u);
}

TEST_F(ApiTest, UnknownRoutesAndSweeps) {
  struct Case {
    const char* method;
    const char* target;
    int status;
    const char* code;
    const char* message;  // expected message (empty: not checked)
  };
  const Case cases[] = {
      {"GET", "/api/v1/nothing", 404, "NOT_FOUND", "no such endpoint: GET /api/v1/nothing"},
      {"GET", "/nope", 404, "NOT_FOUND", "no such endpoint: /nope"},
      {"GET", "/api/v1/", 404, "NOT_FOUND", "no such endpoint: GET /api/v1/"},
      {"GET", "/api/v1/sweeps/9", 404, "NOT_FOUND", ""},
      {"GET", "/api/v1/sweeps/9/best", 404, "NOT_FOUND", ""},
      {"GET", "/api/v1/trials/9", 404, "NOT_FOUND", ""},
      {"GET", "/api/v1/trials/9/metrics", 404, "NOT_FOUND", ""},
      {"GET", "/api/v1/sweeps/1/nothing", 404, "NOT_FOUND", ""},
      {"GET", "/api/v1/sweeps/abc", 400, "INVALID_ARGUMENT", "malformed sweep id \"abc\""},
      // A malformed id is answered 400 even where no route matches the rest.
      {"GET", "/api/v1/sweeps/abc/nothing", 400, "INVALID_ARGUMENT", ""},
      {"GET", "/api/v1/trials/0", 400, "INVALID_ARGUMENT", "malformed trial id \"0\""},
  };
  for (const Case& c : cases) {
    HttpResponse r = Send(c.method, c.target);
    EXPECT_EQ(r.status, c.status) << c.target << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), c.code) << c.target;
    if (*c.message) {
      EXPECT_EQ(Body(r)["error"]["message"], c.message) << c.target;
    }
  }
}

TEST_F(ApiTest, WrongMethodIsNotFound) {
  CreateSweep();
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"DELETE", "/api/v1/sweeps"},
           {"PUT", "/api/v1/sweeps/1"},
           {"GET", "/api/v1/sweeps/1/cancel"},
           {"GET", "/api/v1/ask"},
           {"HEAD", "/api/v1/sweeps"},
           {"POST", "/api/v1/trials/1"}}) {
    HttpResponse r = Send(method, target);
    EXPECT_EQ(r.status, 404) << method << " " << target << ": " << r.body;
    EXPECT_EQ(Body(r)["error"]["message"], "no such endpoint: " + method + " " + target);
  }
  // /healthz and /metrics answer every method.
  EXPECT_EQ(Send("POST", "/healthz", "", "").status, 200);
  EXPECT_EQ(Send("DELETE", "/metrics", "", "").status, 200);
}

TEST_F(ApiTest, MutatingAndWorkerRoutesNeedTheToken) {
  const std::string sweep = RandomSweep(3).dump();
  struct Case {
    const char* method;
    const char* target;
    const char* token;
    int status;
  };
  const Case cases[] = {
      {"POST", "/api/v1/sweeps", "", 401},
      {"POST", "/api/v1/sweeps", "not-the-token", 401},
      {"POST", "/api/v1/sweeps/1/cancel", "", 401},
      {"POST", "/api/v1/ask", "", 401},
      {"POST", "/api/v1/trials/1/report", "", 401},
      {"GET", "/api/v1/trials/1/checkpoints", "", 401},
      {"GET", "/api/v1/trials/1/checkpoints/latest", "", 401},
      {"PUT", "/api/v1/trials/1/checkpoints/3?client_id=c", "", 401},
      {"GET", "/api/v1/ask", "", 401},         // worker protocol, whatever the method
      {"DELETE", "/api/v1/nothing", "", 401},  // writes need the token, route or not
      {"GET", "/api/v1/sweeps", "", 200},
      {"GET", "/api/v1/workers", "", 200},
      {"GET", "/healthz", "", 200},
      {"GET", "/metrics", "", 200},
      {"GET", "/api/v1/nothing", "", 404},
  };
  for (const Case& c : cases) {
    HttpResponse r = Send(c.method, c.target, sweep, c.token);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << ": " << r.body;
    if (c.status == 401) {
      EXPECT_EQ(ErrorCode(r), "UNAUTHENTICATED");
      EXPECT_EQ(HeaderOf(r, "WWW-Authenticate"), "Bearer");
    }
  }
  EXPECT_TRUE(stack_.service().ListSweeps().empty());  // nothing was created
}

TEST_F(ApiTest, AskReportCompleteThroughTheApi) {
  const uint64_t sweep_id = CreateSweep(2);
  const uint64_t trial_id = AskOne("client-a");
  ASSERT_NE(trial_id, 0u);
  const std::string trial = "/api/v1/trials/" + std::to_string(trial_id);

  HttpResponse beat = Send("POST", trial + "/heartbeat", R"({"client_id":"client-a"})");
  ASSERT_EQ(beat.status, 200) << beat.body;
  EXPECT_EQ(Body(beat)["decision"], "continue");

  HttpResponse report =
      Send("POST", trial + "/report", R"({"client_id":"client-a","step":1,"values":{"loss":0.5}})");
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(Body(report)["decision"], "continue");

  HttpResponse wrong_owner =
      Send("POST", trial + "/complete", R"({"client_id":"client-b","values":{"loss":0.25}})");
  EXPECT_EQ(wrong_owner.status, 409) << wrong_owner.body;

  HttpResponse complete =
      Send("POST", trial + "/complete", R"({"client_id":"client-a","values":{"loss":0.25}})");
  ASSERT_EQ(complete.status, 200) << complete.body;
  EXPECT_EQ(Body(complete)["state"], "completed");
  EXPECT_EQ(Body(complete)["objective"], 0.25);

  HttpResponse best = Send("GET", "/api/v1/sweeps/" + std::to_string(sweep_id) + "/best", "", "");
  ASSERT_EQ(best.status, 200) << best.body;
  EXPECT_EQ(Body(best)["id"], trial_id);

  HttpResponse metrics = Send("GET", trial + "/metrics", "", "");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  proto::TrialMetrics points;
  ASSERT_TRUE(proto::FromJson(Body(metrics), &points).ok()) << metrics.body;
  EXPECT_EQ(points.trial_id, trial_id);
  ASSERT_EQ(points.points.size(), 1u);
  EXPECT_EQ(points.points[0].step, 1);

  HttpResponse trials =
      Send("GET", "/api/v1/sweeps/" + std::to_string(sweep_id) + "/trials?state=completed", "", "");
  ASSERT_EQ(trials.status, 200) << trials.body;
  EXPECT_EQ(Body(trials)["trials"].size(), 1u);
  HttpResponse bad_state =
      Send("GET", "/api/v1/sweeps/" + std::to_string(sweep_id) + "/trials?state=nope", "", "");
  EXPECT_EQ(bad_state.status, 400);
  EXPECT_EQ(Body(bad_state)["error"]["field"], "state");

  HttpResponse workers = Send("GET", "/api/v1/workers", "", "");
  ASSERT_EQ(workers.status, 200) << workers.body;
  proto::WorkerList list;
  ASSERT_TRUE(proto::FromJson(Body(workers), &list).ok()) << workers.body;
  ASSERT_EQ(list.workers.size(), 2u);  // client-b was seen by its refused complete
  EXPECT_EQ(list.workers[0].client_id, "client-a");
  EXPECT_TRUE(list.workers[0].active_trials.empty());

  // The second (last) trial, then the sweep is done.
  const uint64_t second = AskOne("client-a");
  ASSERT_NE(second, 0u);
  HttpResponse failed = Send("POST", "/api/v1/trials/" + std::to_string(second) + "/fail",
                             R"({"client_id":"client-a","error":"diverged"})");
  ASSERT_EQ(failed.status, 200) << failed.body;
  EXPECT_EQ(Body(failed)["state"], "failed");
  HttpResponse done = Send("POST", "/api/v1/ask", R"({"client_id":"client-a"})");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_TRUE(Body(done)["trials"].empty());
  EXPECT_EQ(Body(done)["done"], true);
}

TEST_F(ApiTest, CancelSweep) {
  const uint64_t sweep_id = CreateSweep();
  HttpResponse r = Send("POST", "/api/v1/sweeps/" + std::to_string(sweep_id) + "/cancel");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["state"], "cancelled");
}

TEST_F(ApiTest, StorageNotWritableRefusesWritesAndServesReads) {
  const uint64_t sweep_id = CreateSweep();
  storage_.Degrade(UnavailableError("disk full"));

  HttpResponse refused = Send("POST", "/api/v1/sweeps", RandomSweep(3).dump());
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(ErrorCode(refused), "UNAVAILABLE");
  EXPECT_NE(Body(refused)["error"]["message"].get<std::string>().find("storage unavailable"),
            std::string::npos);
  EXPECT_EQ(HeaderOf(refused, "Retry-After"), "7");
  EXPECT_EQ(Send("POST", "/api/v1/ask", R"({"client_id":"c"})").status, 503);
  EXPECT_EQ(Send("PUT", "/api/v1/trials/1/checkpoints/1?client_id=c", "x").status, 503);
  // The read-only rule comes before the route: an unknown write is 503 too.
  EXPECT_EQ(Send("DELETE", "/api/v1/nothing").status, 503);

  EXPECT_EQ(Send("GET", "/api/v1/sweeps/" + std::to_string(sweep_id), "", "").status, 200);
  HttpResponse health = Send("GET", "/healthz", "", "");
  ASSERT_EQ(health.status, 200);
  EXPECT_EQ(Body(health)["status"], "degraded");
  EXPECT_NE(Body(health)["reason"].get<std::string>().find("disk full"), std::string::npos);
  EXPECT_EQ(stack_.service().ListSweeps().size(), 1u);
}

TEST_F(ApiTest, MalformedBodiesAreBadRequestsNamingTheProblem) {
  HttpResponse r = Send("POST", "/api/v1/sweeps", "{\"name\": ");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorCode(r), "INVALID_ARGUMENT");
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("malformed JSON"),
            std::string::npos)
      << r.body;

  Json spec = RandomSweep(3);
  spec["method"] = "annealing";
  r = Send("POST", "/api/v1/sweeps", spec.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Body(r)["error"]["field"], "/method");

  r = Send("POST", "/api/v1/ask", "[1,");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Send("POST", "/api/v1/ask", R"({"client_id":"c","count":0})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Body(r)["error"]["field"], "/count");

  CreateSweep();
  const uint64_t trial_id = AskOne("c");
  r = Send("POST", "/api/v1/trials/" + std::to_string(trial_id) + "/report",
           R"({"client_id":"c","step":1,"values":{"loss":"high"}})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Body(r)["error"]["field"], "/values/loss");

  r = Send("GET", "/api/v1/trials/" + std::to_string(trial_id) + "/metrics?limit=ten", "", "");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Body(r)["error"]["field"], "limit");
  EXPECT_TRUE(stack_.service().ListSweeps().size() == 1u);
}

TEST_F(ApiTest, CheckpointUploadListAndDownload) {
  CreateSweep();
  const uint64_t trial_id = AskOne("c");
  const std::string base = "/api/v1/trials/" + std::to_string(trial_id) + "/checkpoints";

  EXPECT_EQ(Send("PUT", base + "/4").status, 400);  // no client_id
  EXPECT_EQ(Send("PUT", base + "/x?client_id=c").status, 400);
  EXPECT_EQ(Send("PUT", base + "/4?client_id=other", "bytes").status, 409);

  HttpResponse stored = Send("PUT", base + "/4?client_id=c", "checkpoint-bytes");
  ASSERT_EQ(stored.status, 201) << stored.body;
  proto::CheckpointStored info;
  ASSERT_TRUE(proto::FromJson(Body(stored), &info).ok()) << stored.body;
  EXPECT_EQ(info.trial_id, trial_id);
  EXPECT_EQ(info.step, 4);
  EXPECT_EQ(info.size_bytes, 16u);

  HttpResponse list = Send("GET", base);
  ASSERT_EQ(list.status, 200) << list.body;
  proto::CheckpointList checkpoints;
  ASSERT_TRUE(proto::FromJson(Body(list), &checkpoints).ok()) << list.body;
  ASSERT_EQ(checkpoints.checkpoints.size(), 1u);
  EXPECT_EQ(checkpoints.checkpoints[0].step, 4);

  HttpResponse download = Send("GET", base + "/latest");
  ASSERT_EQ(download.status, 200) << download.body;
  EXPECT_EQ(HeaderOf(download, "X-Checkpoint-Step"), "4");
  EXPECT_EQ(HeaderOf(download, "X-Checkpoint-Size"), "16");
  ASSERT_TRUE(download.stream);
  std::string bytes;
  for (;;) {
    std::promise<StatusOr<std::optional<std::string>>> next;
    download.stream->Next([&next](StatusOr<std::optional<std::string>> c) { next.set_value(c); });
    StatusOr<std::optional<std::string>> chunk = next.get_future().get();
    ASSERT_TRUE(chunk.ok()) << chunk.status();
    if (!chunk->has_value()) break;
    bytes += **chunk;
  }
  EXPECT_EQ(bytes, "checkpoint-bytes");
  EXPECT_EQ(Send("GET", base + "/5").status, 404);
  EXPECT_EQ(Send("GET", base + "/-1").status, 400);
}

TEST_F(ApiTest, MetricsCountRequestsByRouteLabel) {
  CreateSweep();
  Send("GET", "/api/v1/sweeps/abc");
  Send("GET", "/api/v1/nothing");
  Send("POST", "/api/v1/sweeps", "{}", "");
  HttpResponse r = Send("GET", "/metrics", "", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  for (const char* line : {
           "hpsweep_http_requests_total{route=\"create_sweep\",code=\"201\"} 1",
           "hpsweep_http_requests_total{route=\"sweep\",code=\"400\"} 1",
           "hpsweep_http_requests_total{route=\"unknown\",code=\"404\"} 1",
           "hpsweep_http_requests_total{route=\"unauthenticated\",code=\"401\"} 1",
           "hpsweep_sweeps 1",
       }) {
    EXPECT_NE(r.body.find(line), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace hpsweep::coordinator
