#include "proto/messages.h"

#include "gtest/gtest.h"

namespace hpsweep::proto {
namespace {

TEST(MessagesTest, TrialRoundTrips) {
  Trial t;
  t.id = 42;
  t.sweep_id = 3;
  t.number = 7;
  t.params = {{"lr", 0.01}, {"optimizer", "adam"}};
  t.state = TrialState::kRunning;
  t.attempt = 1;
  t.lease_owner = "gang-0";
  t.lease_deadline_us = 123456;
  t.lease_seconds = 30;
  t.last_step = 9;
  t.checkpoint_step = 8;
  t.objective = 0.25;
  t.final_values = {{"val_loss", 0.25}};
  t.error = "";
  Trial back;
  ASSERT_TRUE(FromJson(ToJson(t), &back).ok());
  EXPECT_EQ(ToJson(back), ToJson(t));
}

TEST(MessagesTest, ReportRequestValidation) {
  ReportRequest r;
  EXPECT_TRUE(FromJson(Json::parse(R"({"client_id":"w","step":3,"values":{"loss":0.5}})"), &r).ok());
  EXPECT_EQ(r.step, 3);
  EXPECT_DOUBLE_EQ(r.values.at("loss"), 0.5);

  ReportRequest bad;
  Status s = FromJson(Json::parse(R"({"client_id":"w","step":3,"values":{"loss":"x"}})"), &bad);
  EXPECT_EQ(s.field(), "/values/loss");
  s = FromJson(Json::parse(R"({"client_id":"w","step":-1,"values":{"loss":1}})"), &bad);
  EXPECT_EQ(s.field(), "/step");
  s = FromJson(Json::parse(R"({"step":1,"values":{"loss":1}})"), &bad);
  EXPECT_EQ(s.field(), "/client_id");
  s = FromJson(Json::parse(R"({"client_id":"w","step":1,"values":{}})"), &bad);
  EXPECT_EQ(s.field(), "/values");
  s = FromJson(Json::parse(R"({"client_id":"w","step":1,"values":{"a":1},"extra":1})"), &bad);
  EXPECT_EQ(s.field(), "/extra");
}

TEST(MessagesTest, AskRequestBounds) {
  AskRequest a;
  EXPECT_TRUE(FromJson(Json::parse(R"({"client_id":"c"})"), &a).ok());
  EXPECT_EQ(a.count, 1);
  EXPECT_EQ(a.kind, "client");
  Status s = FromJson(Json::parse(R"({"client_id":"c","count":0})"), &a);
  EXPECT_EQ(s.field(), "/count");
  AskRequest b;
  s = FromJson(Json::parse(R"({"client_id":"c","kind":"robot"})"), &b);
  EXPECT_EQ(s.field(), "/kind");
}

TEST(MessagesTest, ErrorBodyRoundTrips) {
  Status s = InvalidArgumentError("expected a number", "/parameters/lr/min");
  Json body = ErrorJson(s);
  EXPECT_EQ(body["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(StatusFromErrorJson(body, 400), s);
  EXPECT_EQ(StatusFromErrorJson(Json::object(), 502).code(), StatusCode::kInternal);
}

TEST(MessagesTest, DecisionRoundTrips) {
  Decision d{true, "sweep cancelled", 99};
  Decision back;
  ASSERT_TRUE(FromJson(ToJson(d), &back).ok());
  EXPECT_TRUE(back.stop);
  EXPECT_EQ(back.reason, "sweep cancelled");
  EXPECT_EQ(back.lease_deadline_us, 99);
}

TEST(MessagesTest, TrialStatesAndTerminality) {
  EXPECT_EQ(TrialStateFromName("pruned"), TrialState::kPruned);
  EXPECT_FALSE(TrialStateFromName("zombie").has_value());
  EXPECT_TRUE(IsTerminal(TrialState::kCompleted));
  EXPECT_FALSE(IsTerminal(TrialState::kLeased));
  EXPECT_TRUE(IsTerminal(SweepState::kCancelled));
  EXPECT_FALSE(IsTerminal(SweepState::kRunning));
}

TEST(JsonTextTest, MalformedJsonIsInvalidArgument) {
  auto parsed = ParseJsonText("{\"a\": ");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("malformed JSON"), std::string::npos);
  EXPECT_TRUE(ParseJsonText("{\"a\": 1}").ok());
}

// Issue 11, case 7: request parts have length caps, answered with the field.
TEST(RequestLimitsTest, LongPartsAreRejectedNamingTheField) {
  ReportRequest report;
  Json values = Json::object();
  for (size_t i = 0; i <= kMaxValuesPerReport; ++i) values["m" + std::to_string(i)] = 1;
  Status s = FromJson(Json{{"client_id", "w"}, {"step", 1}, {"values", values}}, &report);
  EXPECT_EQ(s.field(), "/values") << s;
  s = FromJson(Json{{"client_id", "w"}, {"step", 1},
                    {"values", {{std::string(kMaxNameBytes + 1, 'm'), 1}}}},
               &report);
  EXPECT_EQ(s.field(), "/values") << s;
  EXPECT_LT(s.message().size(), 300u);
  AskRequest ask;
  s = FromJson(Json{{"client_id", std::string(kMaxClientIdBytes + 1, 'c')}}, &ask);
  EXPECT_EQ(s.field(), "/client_id") << s;
  FailRequest fail;
  s = FromJson(Json{{"client_id", "w"}, {"error", std::string(kMaxErrorBytes + 1, 'e')}}, &fail);
  EXPECT_EQ(s.field(), "/error") << s;
  EXPECT_TRUE(FromJson(Json{{"client_id", "w"}, {"error", std::string(kMaxErrorBytes, 'e')}}, &fail).ok());
}

}  // namespace
}  // namespace hpsweep::proto
