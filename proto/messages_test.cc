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

// Listing and service bodies: each round-trips, and its JSON text is what
// clients (CLI, worker, bo_client.py) have always read.
TEST(ResponseBodiesTest, HealthWire) {
  EXPECT_EQ(DumpJson(ToJson(Health{})), R"({"status":"ok"})");
  Health degraded{"degraded", "storage unavailable: disk full"};
  EXPECT_EQ(DumpJson(ToJson(degraded)),
            R"({"reason":"storage unavailable: disk full","status":"degraded"})");
  Health back;
  ASSERT_TRUE(FromJson(ToJson(degraded), &back).ok());
  EXPECT_EQ(back.reason, degraded.reason);
  EXPECT_EQ(FromJson(Json{{"status", "fine"}}, &back).field(), "/status");
}

TEST(ResponseBodiesTest, WorkerListWireAndRoundTrip) {
  WorkerList list;
  EXPECT_EQ(DumpJson(ToJson(list)), R"({"workers":[]})");
  list.workers.push_back({"gang-0", "worker", 17, {3, 4}});
  EXPECT_EQ(DumpJson(ToJson(list)),
            R"({"workers":[{"active_trials":[3,4],"client_id":"gang-0","kind":"worker",)"
            R"("last_seen_us":17}]})");
  WorkerList back;
  ASSERT_TRUE(FromJson(ToJson(list), &back).ok());
  EXPECT_EQ(ToJson(back), ToJson(list));
  EXPECT_EQ(FromJson(Json::object(), &back).field(), "/workers");
}

TEST(ResponseBodiesTest, SweepListRoundTrips) {
  SweepList list;
  EXPECT_EQ(DumpJson(ToJson(list)), R"({"sweeps":[]})");
  Sweep sweep;
  sweep.id = 2;
  auto spec = ParseSweepSpec(Json::parse(R"({"name":"s","metric":{"name":"loss"},"method":"random",)"
                                         R"("parameters":{"x":{"min":0,"max":1}},)"
                                         R"("program":{"model":"mlp"}})"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  sweep.spec = *spec;
  list.sweeps.push_back(sweep);
  SweepList back;
  ASSERT_TRUE(FromJson(ToJson(list), &back).ok());
  ASSERT_EQ(back.sweeps.size(), 1u);
  EXPECT_EQ(ToJson(back.sweeps[0]), ToJson(sweep));
}

TEST(ResponseBodiesTest, TrialMetricsWireAndRoundTrip) {
  TrialMetrics m;
  m.trial_id = 7;
  m.points.push_back({3, {{"loss", 0.5}}, 11});
  EXPECT_EQ(DumpJson(ToJson(m)),
            R"({"points":[{"step":3,"time_us":11,"values":{"loss":0.5}}],"trial_id":7})");
  TrialMetrics back;
  ASSERT_TRUE(FromJson(ToJson(m), &back).ok());
  EXPECT_EQ(ToJson(back), ToJson(m));
  EXPECT_EQ(FromJson(Json{{"trial_id", 7}}, &back).field(), "/points");
}

TEST(ResponseBodiesTest, CheckpointBodiesWireAndRoundTrip) {
  CheckpointList list;
  list.trial_id = 5;
  list.checkpoints.push_back({2, 1024, 99});
  EXPECT_EQ(DumpJson(ToJson(list)),
            R"({"checkpoints":[{"size_bytes":1024,"step":2,"time_us":99}],"trial_id":5})");
  CheckpointList list_back;
  ASSERT_TRUE(FromJson(ToJson(list), &list_back).ok());
  EXPECT_EQ(ToJson(list_back), ToJson(list));

  CheckpointStored stored{5, 2, 1024};
  EXPECT_EQ(DumpJson(ToJson(stored)), R"({"size_bytes":1024,"step":2,"trial_id":5})");
  CheckpointStored stored_back;
  ASSERT_TRUE(FromJson(ToJson(stored), &stored_back).ok());
  EXPECT_EQ(ToJson(stored_back), ToJson(stored));
  EXPECT_EQ(FromJson(Json{{"trial_id", 5}, {"step", 2}}, &stored_back).field(), "/size_bytes");
}

}  // namespace
}  // namespace hpsweep::proto
