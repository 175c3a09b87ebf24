#include "common/status.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace hpsweep {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeMessageAndField) {
  Status s = InvalidArgumentError("expected a number, found \"abc\"", "/parameters/lr/min");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "/parameters/lr/min");
  EXPECT_EQ(s.ToString(),
            "INVALID_ARGUMENT: expected a number, found \"abc\" (at /parameters/lr/min)");
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = NotFoundError("trial 7").WithContext("report");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "report: trial 7");
  EXPECT_TRUE(Status().WithContext("ignored").ok());
}

TEST(StatusTest, CodeNamesRoundTrip) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    const auto code = static_cast<StatusCode>(c);
    const auto parsed = StatusCodeFromName(StatusCodeName(code));
    ASSERT_TRUE(parsed.has_value()) << StatusCodeName(code);
    EXPECT_EQ(*parsed, code);
  }
  EXPECT_FALSE(StatusCodeFromName("NOT_A_CODE").has_value());
}

TEST(StatusTest, RetryableCodesAreTheTransientOnes) {
  EXPECT_TRUE(IsRetryable(StatusCode::kUnavailable));
  EXPECT_TRUE(IsRetryable(StatusCode::kAborted));
  EXPECT_TRUE(IsRetryable(StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(IsRetryable(StatusCode::kInvalidArgument));
  EXPECT_FALSE(IsRetryable(StatusCode::kDataLoss));
  EXPECT_FALSE(IsRetryable(StatusCode::kOk));
}

TEST(StatusTest, HttpStatusesFollowTheCode) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 413);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
}

TEST(StatusOrTest, HoldsValue) {
  StatusOr<std::string> v = std::string("abc");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "abc");
  EXPECT_EQ(v->size(), 3u);
  EXPECT_TRUE(v.status().ok());
}

TEST(StatusOrTest, HoldsError) {
  StatusOr<int> v = NotFoundError("gone");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(v.value_or(7), 7);
}

TEST(StatusOrTest, OkStatusBecomesInternalError) {
  StatusOr<int> v = Status();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInternal);
}

TEST(StatusOrTest, MoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> v = std::make_unique<int>(5);
  ASSERT_TRUE(v.ok());
  std::unique_ptr<int> p = std::move(v).value();
  EXPECT_EQ(*p, 5);
}

StatusOr<int> ParsePositive(int x) {
  if (x <= 0) return InvalidArgumentError("must be positive", "/x");
  return x;
}

Status Doubler(int x, int* out) {
  HPS_ASSIGN_OR_RETURN(int v, ParsePositive(x));
  *out = 2 * v;
  return Status();
}

Status Chain(int x) {
  int unused = 0;
  HPS_RETURN_IF_ERROR(Doubler(x, &unused));
  return Status();
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  int out = 0;
  EXPECT_TRUE(Doubler(4, &out).ok());
  EXPECT_EQ(out, 8);
  Status s = Chain(-1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "/x");
  EXPECT_TRUE(Chain(3).ok());
}

}  // namespace
}  // namespace hpsweep
