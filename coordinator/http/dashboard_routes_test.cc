// The Api's dashboard routes (dashboard_routes.cc) and the reads-need-the-
// token option, driven through HttpHandler without sockets on the in-memory
// stack. The browser test (tests/browser) drives the page itself.
#include <string>
#include <utility>

#include "coordinator/http/api.h"
#include "coordinator/http/api_stack.h"
#include "coordinator/http/http_request.h"
#include "gtest/gtest.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

constexpr char kToken[] = "secret";

class DashboardRoutesTest : public ::testing::Test {
 protected:
  explicit DashboardRoutesTest(bool token_for_reads = false)
      : stack_(Options(token_for_reads), 8, [](const Status&) {}) {
    EXPECT_TRUE(stack_.Start().ok());
  }
  static ApiOptions Options(bool token_for_reads) {
    ApiOptions options;
    options.token = kToken;
    options.token_for_reads = token_for_reads;
    return options;
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

  ApiStack stack_;
};

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_F(DashboardRoutesTest, ServesThePageAndItsFilesWithoutAToken) {
  HttpResponse page = Send("GET", "/", "", "");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script src=\"/dashboard/app.js\">"), std::string::npos);
  EXPECT_NE(HeaderOf(page, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  for (const char* file : {"/dashboard/app.js", "/dashboard/charts.js", "/dashboard/pareto.js",
                           "/dashboard/stream.js"}) {
    HttpResponse r = Send("GET", file, "", "");
    EXPECT_EQ(r.status, 200) << file;
    EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8") << file;
    EXPECT_GT(r.body.size(), 1000u) << file;
  }
  EXPECT_EQ(Send("GET", "/dashboard/style.css", "", "").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(Send("GET", "/dashboard/missing.js", "", "").status, 404);
}

TEST_F(DashboardRoutesTest, CurvesAreDownsampledAndPaged) {
  Json sweep = {{"name", "curves"},
                {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
                {"method", "random"},
                {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
                {"max_trials", 3},
                {"program", {{"external", true}}}};
  ASSERT_EQ(Send("POST", "/api/v1/sweeps", sweep.dump()).status, 201);
  HttpResponse asked = Send("POST", "/api/v1/ask", Json{{"client_id", "a"}}.dump());
  ASSERT_EQ(asked.status, 200) << asked.body;
  const uint64_t reported = Body(asked)["trials"][0]["trial"]["id"];
  ASSERT_EQ(Send("POST", "/api/v1/ask", Json{{"client_id", "b"}}.dump()).status, 200);
  for (int step = 1; step <= 50; ++step) {
    Json report = {{"client_id", "a"}, {"step", step}, {"values", {{"loss", 1.0 / step}, {"acc", 0.5}}}};
    ASSERT_EQ(Send("POST", "/api/v1/trials/" + std::to_string(reported) + "/report", report.dump())
                  .status,
              200);
  }

  HttpResponse r = Send("GET", "/api/v1/sweeps/1/curves?max_points=10", "", "");
  ASSERT_EQ(r.status, 200) << r.body;
  Json body = Body(r);
  EXPECT_EQ(body["metric"], "loss");
  EXPECT_EQ(body["next_page_token"], "");
  ASSERT_EQ(body["curves"].size(), 2u) << r.body;
  const Json& curve = body["curves"][0];
  EXPECT_EQ(curve["trial_id"], reported);
  EXPECT_EQ(curve["stored_points"], 50);
  ASSERT_EQ(curve["steps"].size(), 10u);
  ASSERT_EQ(curve["values"].size(), 10u);
  EXPECT_EQ(curve["steps"][0], 1);
  EXPECT_EQ(curve["steps"][9], 50);
  EXPECT_DOUBLE_EQ(curve["values"][9].get<double>(), 1.0 / 50);
  EXPECT_TRUE(body["curves"][1]["steps"].empty()) << "no report yet";

  // Another metric, one trial per page.
  r = Send("GET", "/api/v1/sweeps/1/curves?metric=acc&limit=1", "", "");
  ASSERT_EQ(r.status, 200) << r.body;
  body = Body(r);
  EXPECT_EQ(body["metric"], "acc");
  ASSERT_EQ(body["curves"].size(), 1u);
  EXPECT_EQ(body["curves"][0]["steps"].size(), 50u);
  EXPECT_NE(body["next_page_token"], "");

  r = Send("GET", "/api/v1/sweeps/1/curves?max_points=1", "", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["field"], "max_points");
  EXPECT_EQ(Send("GET", "/api/v1/sweeps/9/curves", "", "").status, 404);
}

TEST_F(DashboardRoutesTest, EventsWithoutAHubAreUnavailable) {
  EXPECT_EQ(Send("GET", "/api/v1/events", "", "").status, 503);
  HttpResponse r = Send("GET", "/api/v1/events?after=-5", "", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["field"], "after");
}

class TokenForReadsTest : public DashboardRoutesTest {
 protected:
  TokenForReadsTest() : DashboardRoutesTest(/*token_for_reads=*/true) {}
};

TEST_F(TokenForReadsTest, ReadsNeedTheTokenButThePageAndHealthDoNot) {
  EXPECT_EQ(Send("GET", "/api/v1/sweeps", "", "").status, 401);
  EXPECT_EQ(Send("GET", "/api/v1/sweeps", "", "wrong").status, 401);
  EXPECT_EQ(Send("GET", "/api/v1/sweeps/1/curves", "", "").status, 401);
  EXPECT_EQ(Send("GET", "/api/v1/events", "", "").status, 401);
  EXPECT_EQ(Send("GET", "/metrics", "", "").status, 401);
  EXPECT_EQ(Send("GET", "/api/v1/nothing", "", "").status, 401);
  EXPECT_EQ(Send("GET", "/api/v1/sweeps", "", kToken).status, 200);
  EXPECT_EQ(Send("GET", "/", "", "").status, 200);
  EXPECT_EQ(Send("GET", "/dashboard/app.js", "", "").status, 200);
  EXPECT_EQ(Send("GET", "/healthz", "", "").status, 200);
}

}  // namespace
}  // namespace hpsweep::coordinator
