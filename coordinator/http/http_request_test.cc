// ParseTarget: every request target is decoded here before a handler sees it
// (issue 11, case 1: ill-formed UTF-8 in the URL is a 400 naming the part).
#include "coordinator/http/http_request.h"

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

TEST(ParseTargetTest, DecodesPathAndQuery) {
  HttpRequest r;
  ASSERT_TRUE(ParseTarget("/api/v1/sweeps/1/trials?state=completed&limit=5&x=a%20b", &r).ok());
  EXPECT_EQ(r.path, "/api/v1/sweeps/1/trials");
  EXPECT_EQ(r.query.at("state"), "completed");
  EXPECT_EQ(r.query.at("limit"), "5");
  EXPECT_EQ(r.query.at("x"), "a b");
  ASSERT_TRUE(ParseTarget("/caf%C3%A9", &r).ok());
  EXPECT_EQ(r.path, "/caf\xC3\xA9");
  EXPECT_TRUE(r.query.empty());
}

TEST(ParseTargetTest, IllFormedUtf8NamesThePart) {
  struct Case {
    const char* target;
    const char* field;
  };
  const Case cases[] = {
      {"/api/v1/sweeps/%FF", "path"},
      {"/nosuch%FF", "path"},
      {"/api/v1/sweeps/%ED%A0%80", "path"},  // a surrogate
      {"/api/v1/sweeps/\xC0\xAF", "path"},   // overlong, unencoded
      {"/api/v1/sweeps/1/trials?state=%FF", "state"},
      {"/api/v1/sweeps/1/trials?limit=%FF", "limit"},
      {"/api/v1/trials/1/metrics?from_step=%FF", "from_step"},
      {"/api/v1/sweeps?%C0%AF=1", "query"},
  };
  for (const Case& c : cases) {
    HttpRequest r;
    Status s = ParseTarget(c.target, &r);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.target;
    EXPECT_EQ(s.field(), c.field) << c.target;
  }
}

}  // namespace
}  // namespace hpsweep::coordinator
