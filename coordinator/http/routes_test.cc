// The route table and its matcher (api_test drives the dispatch end to end).
#include "coordinator/http/routes.h"

#include <set>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

TEST(RouteTableTest, EveryRouteIsCompleteAndLabelledOnce) {
  std::set<std::string_view> labels;
  for (const Route& route : ApiRoutes()) {
    EXPECT_NE(route.handler, nullptr) << route.pattern;
    EXPECT_TRUE(labels.insert(route.label).second) << "label used twice: " << route.label;
    // Writes need the token.
    if (route.mutating) {
      EXPECT_TRUE(route.auth == Auth::kToken || route.auth == Auth::kWorker) << route.pattern;
    }
  }
}

TEST(RouteTableTest, MatchesPatternsAndParsesIds) {
  RouteMatch m = MatchRoute("GET", "/api/v1/sweeps/12/trials");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->label, "list_trials");
  EXPECT_EQ(m.params.ids.at("sweep_id"), 12u);

  m = MatchRoute("GET", "/api/v1//trials/5/checkpoints/latest/");  // empty segments ignored
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->label, "checkpoint_download");
  EXPECT_EQ(m.params.text.at("step"), "latest");
  EXPECT_TRUE(m.worker_path);

  m = MatchRoute("DELETE", "/api/v1/sweeps/12");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.id_error.ok());

  m = MatchRoute("GET", "/api/v1/trials/x/metrics");
  EXPECT_EQ(m.id_error.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m.id_error_label, "trial");

  EXPECT_EQ(MatchRoute("GET", "/healthz/").route, nullptr);  // exact outside /api/v1/
  EXPECT_NE(MatchRoute("PATCH", "/healthz").route, nullptr);
}

TEST(RouteTableTest, AMalformedIdIsQuotedShortAndEscaped) {
  const std::string path = "/api/v1/sweeps/" + std::string(5000, '9') + "/trials";
  RouteMatch m = MatchRoute("GET", path);
  EXPECT_EQ(m.id_error.code(), StatusCode::kInvalidArgument);
  EXPECT_LT(m.id_error.message().size(), 200u) << m.id_error.message();
  auto bad = ParsePathId("1\x1b[2J", "trial");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find('\x1b'), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace hpsweep::coordinator
