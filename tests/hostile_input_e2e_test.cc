// Regression tests for issue 11, cases 1-7 (hostile and careless input),
// against a real hpsweep-coordinator process: each case sends the requests of
// the issue, expects the documented answer with the field named, and checks
// that the process still serves (/healthz). Cases 4-6 also restart the
// coordinator and check that every sweep it accepted is still readable; the
// last test plants a record this build refuses (what case 4 stored before the
// fix) and checks that it does not keep the other sweeps from loading.
#include <rocksdb/db.h>
#include <signal.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/http_client.h"
#include "common/subprocess.h"
#include "common/utf8.h"
#include "gtest/gtest.h"
#include "proto/api_client.h"
#include "proto/json_reader.h"
#include "tests/coordinator_process.h"

namespace hpsweep {
namespace {

using proto::Json;

class Coordinator {
 public:
  explicit Coordinator(std::string dir) : dir_(std::move(dir)) {}

  void Start() {
    auto connection = StartCoordinator(process_, Runfile("coordinator/hpsweep-coordinator"), dir_,
                                       dir_ + "/coordinator.log");
    ASSERT_TRUE(connection.ok()) << connection.status();
    connection_ = *connection;
  }
  // kill -9, then start again on the same data directory.
  void Restart() {
    EXPECT_EQ(process_.Kill(SIGKILL), 128 + SIGKILL);
    Start();
  }
  void Stop() { EXPECT_EQ(process_.Kill(SIGKILL), 128 + SIGKILL); }

  // Sends one request (with the token unless `token` is false).
  HttpReply Send(const std::string& method, const std::string& target, const std::string& body = "",
                 bool token = true) {
    auto client = HttpClient::Create(connection_.url, token ? connection_.token : "");
    EXPECT_TRUE(client.ok()) << client.status();
    auto reply = (*client)->Send(method, target, body);
    EXPECT_TRUE(reply.ok()) << method << " " << QuoteForMessage(target) << ": " << reply.status();
    return reply.ok() ? *reply : HttpReply{};
  }

  // The process still answers, and answers right.
  void ExpectHealthy(const std::string& after) {
    EXPECT_TRUE(process_.running()) << after;
    HttpReply health = Send("GET", "/healthz");
    EXPECT_EQ(health.status, 200) << "after " << after << "\n" << Log();
  }

  std::string Log() const { return ReadFile(dir_ + "/coordinator.log"); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  Subprocess process_;
  proto::Connection connection_;
};

// Sends a request that must be refused with `status` and (when given) the
// JSON pointer `field`; the error body itself must be valid JSON.
void ExpectRefused(Coordinator& c, const std::string& what, const std::string& method,
                   const std::string& target, const std::string& body, int status,
                   const std::string& field) {
  HttpReply reply = c.Send(method, target, body);
  EXPECT_EQ(reply.status, status) << what << ": " << QuoteForMessage(reply.body, 400);
  auto json = proto::ParseJsonText(reply.body);
  ASSERT_TRUE(json.ok()) << what << ": the error reply is not JSON: " << json.status();
  EXPECT_TRUE((*json)["error"].is_object()) << what;
  if (!field.empty()) {
    EXPECT_EQ((*json)["error"].value("field", ""), field) << what << ": " << *json;
  }
  EXPECT_LT(reply.body.size(), 4096u) << what << ": an error reply should be short";
  c.ExpectHealthy(what);
}

Json ExternalSweep(Json parameters, const std::string& method = "random") {
  return {{"name", "hostile"},
          {"metric", {{"name", "loss"}}},
          {"method", method},
          {"parameters", std::move(parameters)},
          {"program", {{"external", true}}}};
}

std::string Nest(int depth, const std::string& open, const std::string& close,
                 const std::string& inner = "1") {
  std::string s;
  s.reserve(depth * (open.size() + close.size()) + inner.size());
  for (int i = 0; i < depth; ++i) s += open;
  s += inner;
  for (int i = 0; i < depth; ++i) s += close;
  return s;
}

// Creates a sweep (201) and returns its id.
uint64_t CreateSweep(Coordinator& c, const Json& spec) {
  HttpReply reply = c.Send("POST", "/api/v1/sweeps", spec.dump());
  EXPECT_EQ(reply.status, 201) << reply.body;
  auto json = proto::ParseJsonText(reply.body);
  return json.ok() ? (*json).value("id", uint64_t{0}) : 0;
}

// Asks one trial of `sweep`; returns its params (null when none).
Json AskOne(Coordinator& c, uint64_t sweep, const std::string& client = "hostile") {
  HttpReply reply =
      c.Send("POST", "/api/v1/ask", Json{{"client_id", client}, {"sweep_id", sweep}}.dump());
  EXPECT_EQ(reply.status, 200) << reply.body;
  auto json = proto::ParseJsonText(reply.body, {proto::kMaxWrittenJsonDepth});
  if (!json.ok() || (*json)["trials"].empty()) return nullptr;
  return (*json)["trials"][0]["trial"]["params"];
}

// Every sweep listed (id, spec, state, counters), as JSON text for
// before/after comparisons.
std::string ListSweeps(Coordinator& c) {
  HttpReply reply = c.Send("GET", "/api/v1/sweeps");
  EXPECT_EQ(reply.status, 200) << reply.body;
  auto json = proto::ParseJsonText(reply.body, {proto::kMaxWrittenJsonDepth});
  EXPECT_TRUE(json.ok()) << json.status();
  if (!json.ok()) return "";
  Json out = Json::array();
  for (const Json& s : (*json)["sweeps"]) {
    out.push_back(
        {{"id", s["id"]}, {"spec", s["spec"]}, {"state", s["state"]}, {"counters", s["counters"]}});
  }
  return out.dump();
}

// Case 1: invalid UTF-8 in the URL (no token needed) or in a body string.
TEST(HostileInputE2eTest, Case1InvalidUtf8IsA400NamingThePart) {
  Coordinator c(MakeTempDir("case1"));
  c.Start();
  const std::string sweep = Json{{"x", {{"min", 0.0}, {"max", 1.0}}}}.dump();
  const uint64_t id = CreateSweep(c, ExternalSweep(Json::parse(sweep)));
  const std::string sweeps = "/api/v1/sweeps/" + std::to_string(id);
  ExpectRefused(c, "path %FF", "GET", "/api/v1/sweeps/%FF", "", 400, "path");
  ExpectRefused(c, "unknown path %FF", "GET", "/nosuch%FF", "", 400, "path");
  ExpectRefused(c, "state=%FF", "GET", sweeps + "/trials?state=%FF", "", 400, "state");
  ExpectRefused(c, "limit=%FF", "GET", sweeps + "/trials?limit=%FF", "", 400, "limit");
  ExpectRefused(c, "from_step=%FF", "GET", "/api/v1/trials/1/metrics?from_step=%FF", "", 400,
                "from_step");
  ExpectRefused(c, "query name %C0%AF", "GET", sweeps + "/trials?%C0%AF=1", "", 400, "query");
  ExpectRefused(c, "surrogate in path", "GET", "/api/v1/sweeps/%ED%A0%80", "", 400, "path");
  ExpectRefused(c, "checkpoint client_id", "PUT", "/api/v1/trials/1/checkpoints/1?client_id=%FF",
                "bytes", 400, "client_id");
  // Unencoded bytes in the request line are refused by the HTTP parser or as
  // a path; either way a 400 and the process lives.
  HttpReply raw = c.Send("GET", "/api/v1/sweeps/\xFF");
  EXPECT_EQ(raw.status, 400) << raw.body;
  c.ExpectHealthy("raw 0xFF in the path");

  Json name = ExternalSweep(Json::parse(sweep));
  std::string bad_name = name.dump();
  bad_name.replace(bad_name.find("hostile"), 7, "host\xFFile");
  ExpectRefused(c, "sweep name", "POST", "/api/v1/sweeps", bad_name, 400, "/name");
  ExpectRefused(c, "client_id", "POST", "/api/v1/ask", "{\"client_id\":\"q\xC3\x28\",\"count\":1}",
                400, "/client_id");
  ExpectRefused(c, "fail error", "POST", "/api/v1/trials/1/fail",
                "{\"client_id\":\"q\",\"error\":\"boom \xFF\xFE\"}", 400, "/error");
  ExpectRefused(c, "lone surrogate escape", "POST", "/api/v1/trials/1/fail",
                R"({"client_id":"q","error":"\udc00"})", 400, "/error");
  // A valid string whose quoted prefix would end inside a character.
  ExpectRefused(
      c, "long kind", "POST", "/api/v1/ask",
      Json{{"client_id", "q"}, {"kind", std::string(39, 'k') + "\xE2\x82\xAC\xE2\x82\xAC"}}.dump(),
      400, "/kind");
  EXPECT_EQ(ListSweeps(c), ListSweeps(c));
  EXPECT_EQ(c.Send("GET", sweeps).status, 200);
}

// Case 2: numbers out of double range anywhere in a body.
TEST(HostileInputE2eTest, Case2NumbersOutOfRangeAreA400NamingTheField) {
  Coordinator c(MakeTempDir("case2"));
  c.Start();
  for (const char* n : {"1e400", "-1e400", "1e999"}) {
    ExpectRefused(c, std::string("count ") + n, "POST", "/api/v1/ask",
                  std::string(R"({"client_id":"q","count":)") + n + "}", 400, "/count");
  }
  ExpectRefused(c, "report on an unknown trial", "POST", "/api/v1/trials/12345/report",
                R"({"client_id":"q","step":1,"values":{"loss":1e400}})", 400, "/values/loss");
  ExpectRefused(c, "sweep bound", "POST", "/api/v1/sweeps",
                R"({"name":"n","metric":{"name":"loss"},"method":"random",)"
                R"("parameters":{"x":{"min":0,"max":1e400}},"program":{"external":true}})",
                400, "/parameters/x/max");
}

// Case 3: deep nesting is refused before it is built.
TEST(HostileInputE2eTest, Case3DeepNestingIsA400) {
  Coordinator c(MakeTempDir("case3"));
  c.Start();
  ExpectRefused(c, "10,000 nested objects", "POST", "/api/v1/ask", Nest(10000, "{\"a\":", "}"), 400,
                "");
  ExpectRefused(c, "20,000 [", "POST", "/api/v1/sweeps", std::string(20000, '['), 400, "");
  Json spec = ExternalSweep({{"x", {{"min", 0.0}, {"max", 1.0}}}});
  std::string body = spec.dump();
  body.insert(body.size() - 1, ",\"method_options\":" + Nest(15000, "{\"k\":", "}"));
  ExpectRefused(c, "15,000 levels in method_options", "POST", "/api/v1/sweeps", body, 400, "");
  // Within the limit is fine.
  spec["method_options"] = Json::parse(Nest(50, "{\"k\":", "}", "{}"));
  EXPECT_GT(CreateSweep(c, spec), 0u);
  HttpReply deep = c.Send("POST", "/api/v1/ask", Nest(65, "[", "]"));
  EXPECT_NE(deep.body.find("deeper than 64"), std::string::npos) << deep.body;
}

// Case 4: integer bounds beyond what the space can represent are refused;
// the accepted extremes are sampled exactly and survive restarts.
TEST(HostileInputE2eTest, Case4IntBoundsAreRepresentableAndSurviveRestart) {
  Coordinator c(MakeTempDir("case4"));
  c.Start();
  ExpectRefused(c, "max 2^63-1", "POST", "/api/v1/sweeps",
                ExternalSweep({{"x", {{"min", 0}, {"max", 9223372036854775807LL}}}}).dump(), 400,
                "/parameters/x/max");
  ExpectRefused(c, "min -2^63", "POST", "/api/v1/sweeps",
                R"({"name":"n","metric":{"name":"loss"},"method":"random","parameters":)"
                R"({"x":{"min":-9223372036854775808,"max":0}},"program":{"external":true}})",
                400, "/parameters/x/min");
  ExpectRefused(c, "max 2^53+1", "POST", "/api/v1/sweeps",
                ExternalSweep({{"x", {{"min", 0}, {"max", 9007199254740993LL}}}}).dump(), 400,
                "/parameters/x/max");
  const int64_t bound = int64_t{1} << 53;
  const uint64_t id = CreateSweep(
      c, ExternalSweep({{"x", {{"min", -bound}, {"max", bound}}},
                        {"k", {{"distribution", "int_log_uniform"}, {"min", 1}, {"max", bound}}}}));
  for (int i = 0; i < 3; ++i) {
    Json params = AskOne(c, id, "client-" + std::to_string(i));
    ASSERT_TRUE(params.is_object()) << params;
    EXPECT_TRUE(params["x"].is_number_integer()) << params;
    EXPECT_GE(params["x"].get<int64_t>(), -bound);
    EXPECT_LE(params["x"].get<int64_t>(), bound);
    EXPECT_GE(params["k"].get<int64_t>(), 1);
    EXPECT_LE(params["k"].get<int64_t>(), bound);
  }
  const std::string before = ListSweeps(c);
  c.Restart();
  EXPECT_EQ(ListSweeps(c), before);
  EXPECT_TRUE(AskOne(c, id, "after-restart").is_object());
  c.Restart();
  c.ExpectHealthy("two restarts");
}

// Case 5: float ranges whose width is not finite are refused; what is
// accepted samples finite values, which are stored and survive restarts.
TEST(HostileInputE2eTest, Case5FloatRangesSampleFiniteValuesAndSurviveRestart) {
  Coordinator c(MakeTempDir("case5"));
  c.Start();
  ExpectRefused(c, "±1.797e308", "POST", "/api/v1/sweeps",
                ExternalSweep({{"x", {{"min", -1.797e308}, {"max", 1.797e308}}}}).dump(), 400,
                "/parameters/x/max");
  ExpectRefused(
      c, "log from 0", "POST", "/api/v1/sweeps",
      ExternalSweep({{"x", {{"distribution", "log_uniform"}, {"min", 0.0}, {"max", 1.0}}}}).dump(),
      400, "/parameters/x/min");
  const double max = 1.7976931348623157e308;
  const uint64_t id = CreateSweep(
      c, ExternalSweep({{"u", {{"min", 0.0}, {"max", max}}},
                        {"l", {{"distribution", "log_uniform"}, {"min", 5e-324}, {"max", max}}},
                        {"c", {{"values", {1e308, -1e308}}}}},
                       "sobol"));
  std::vector<Json> asked;
  for (int i = 0; i < 4; ++i) {
    Json params = AskOne(c, id, "client-" + std::to_string(i));
    ASSERT_TRUE(params.is_object());
    for (const char* name : {"u", "l", "c"}) {
      ASSERT_TRUE(params[name].is_number()) << params;
      EXPECT_TRUE(std::isfinite(params[name].get<double>())) << params;
    }
    asked.push_back(params);
  }
  const std::string before = ListSweeps(c);
  c.Restart();
  EXPECT_EQ(ListSweeps(c), before);
  HttpReply trials = c.Send("GET", "/api/v1/sweeps/" + std::to_string(id) + "/trials");
  ASSERT_EQ(trials.status, 200);
  auto page = proto::ParseJsonText(trials.body, {proto::kMaxWrittenJsonDepth});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ((*page)["trials"].size(), asked.size());
  for (size_t i = 0; i < asked.size(); ++i) EXPECT_EQ((*page)["trials"][i]["params"], asked[i]);
  EXPECT_TRUE(AskOne(c, id, "after-restart").is_object());
}

// Case 6: grid sizes are computed, not enumerated: a huge grid is refused
// with the reason, a 10^7-point grid is created, served and restarted.
TEST(HostileInputE2eTest, Case6GridsAreSizedBeforeEnumeration) {
  Coordinator c(MakeTempDir("case6"));
  c.Start();
  Json thirty = Json::object();
  for (int i = 0; i < 30; ++i) {
    thirty["p" + std::to_string(10 + i)] = {{"min", 0.0}, {"max", 1.0}, {"grid_points", 1000}};
  }
  HttpReply huge = c.Send("POST", "/api/v1/sweeps", ExternalSweep(thirty, "grid").dump());
  EXPECT_EQ(huge.status, 400) << huge.body;
  EXPECT_NE(huge.body.find("\"field\":\"/method\""), std::string::npos) << huge.body;
  EXPECT_NE(huge.body.find("at most 10000000"), std::string::npos) << huge.body;
  c.ExpectHealthy("a 1000^30 grid");

  Json seven = Json::object();
  for (int i = 0; i < 7; ++i) {
    seven["p" + std::to_string(i)] = {{"min", 0}, {"max", 9}, {"grid_points", 10}};
  }
  const uint64_t id = CreateSweep(c, ExternalSweep(seven, "grid"));
  HttpReply sweep = c.Send("GET", "/api/v1/sweeps/" + std::to_string(id));
  EXPECT_NE(sweep.body.find("\"max_trials\":10000000"), std::string::npos) << sweep.body;
  Json first = AskOne(c, id);
  EXPECT_EQ(first,
            (Json{{"p0", 0}, {"p1", 0}, {"p2", 0}, {"p3", 0}, {"p4", 0}, {"p5", 0}, {"p6", 0}}));
  const std::string before = ListSweeps(c);
  c.Restart();
  EXPECT_EQ(ListSweeps(c), before);
  Json second = AskOne(c, id, "after-restart");
  EXPECT_EQ(second["p6"], 1) << second;
}

// Case 7: names, values and request parts have length caps (400 naming the
// field); nothing is stored.
TEST(HostileInputE2eTest, Case7LengthsAreCapped) {
  Coordinator c(MakeTempDir("case7"));
  c.Start();
  const std::string huge(900 * 1024, 'n');
  ExpectRefused(c, "900 KB parameter name", "POST", "/api/v1/sweeps",
                ExternalSweep({{huge, {{"min", 0.0}, {"max", 1.0}}}}).dump(), 400, "/parameters");
  Json metric = ExternalSweep({{"x", {{"min", 0.0}, {"max", 1.0}}}});
  metric["metric"]["name"] = huge;
  ExpectRefused(c, "900 KB metric name", "POST", "/api/v1/sweeps", metric.dump(), 400,
                "/metric/name");
  Json name = ExternalSweep({{"x", {{"min", 0.0}, {"max", 1.0}}}});
  name["name"] = std::string(201, 's');
  ExpectRefused(c, "sweep name", "POST", "/api/v1/sweeps", name.dump(), 400, "/name");
  ExpectRefused(c, "categorical value", "POST", "/api/v1/sweeps",
                ExternalSweep({{"x", {{"values", {"a", std::string(2000, 'v')}}}}}).dump(), 400,
                "/parameters/x/values/1");
  Json many = Json::object();
  for (int i = 0; i < 257; ++i) many["p" + std::to_string(i)] = {{"value", i}};
  ExpectRefused(c, "257 parameters", "POST", "/api/v1/sweeps", ExternalSweep(many).dump(), 400,
                "/parameters");
  ExpectRefused(c, "client_id", "POST", "/api/v1/ask",
                Json{{"client_id", std::string(201, 'c')}}.dump(), 400, "/client_id");
  ExpectRefused(
      c, "metric name in a report", "POST", "/api/v1/trials/1/report",
      Json{{"client_id", "c"}, {"step", 1}, {"values", {{std::string(129, 'm'), 1.0}}}}.dump(), 400,
      "/values");
  ExpectRefused(c, "error text", "POST", "/api/v1/trials/1/fail",
                Json{{"client_id", "c"}, {"error", std::string(65 * 1024, 'e')}}.dump(), 400,
                "/error");
  EXPECT_EQ(ListSweeps(c), "[]") << "a refused request stored something";
}

// Ambiguous and terminal-rewriting input: a key twice in one object, and
// control characters in the names `hpsweep` prints, are 400s naming the
// field; nothing is stored, and a sweep created before is untouched.
TEST(HostileInputE2eTest, DuplicateKeysAndControlCharactersInNamesAreRefused) {
  Coordinator c(MakeTempDir("names"));
  c.Start();
  const uint64_t kept = CreateSweep(c, ExternalSweep({{"x", {{"min", 0.0}, {"max", 1.0}}}}));
  const std::string before = ListSweeps(c);
  ExpectRefused(c, "parameter given twice", "POST", "/api/v1/sweeps",
                R"({"name": "d", "metric": {"name": "loss"}, "method": "random",
                    "program": {"external": true},
                    "parameters": {"lr": {"min": 0.1, "max": 1}, "lr": {"min": 0.2, "max": 2}}})",
                400, "/parameters/lr");
  ExpectRefused(c, "max_trials twice", "POST", "/api/v1/sweeps",
                R"({"name": "d", "max_trials": 5, "max_trials": 7})", 400, "/max_trials");
  Json name = ExternalSweep({{"x", {{"min", 0.0}, {"max", 1.0}}}});
  name["name"] = "red\x1B[31m";
  ExpectRefused(c, "escape sequence in the sweep name", "POST", "/api/v1/sweeps", name.dump(), 400,
                "/name");
  name["name"] = std::string("nul\0", 4);
  ExpectRefused(c, "NUL in the sweep name", "POST", "/api/v1/sweeps", name.dump(), 400, "/name");
  ExpectRefused(c, "C1 CSI in a parameter name", "POST", "/api/v1/sweeps",
                ExternalSweep({{"x\xC2\x9B", {{"min", 0.0}, {"max", 1.0}}}}).dump(), 400,
                "/parameters/x\xC2\x9B");
  Json metric = ExternalSweep({{"x", {{"min", 0.0}, {"max", 1.0}}}});
  metric["metric"]["name"] = "loss\n";
  ExpectRefused(c, "newline in the metric name", "POST", "/api/v1/sweeps", metric.dump(), 400,
                "/metric/name");
  EXPECT_EQ(ListSweeps(c), before) << "a refused request changed what is stored";
  ExpectRefused(c, "escape sequence in client_id", "POST", "/api/v1/ask",
                Json{{"client_id", "c\x1B]0;title\x07"}, {"sweep_id", kept}}.dump(), 400,
                "/client_id");
  const Json params = AskOne(c, kept);
  ASSERT_TRUE(params.is_object());
  ExpectRefused(
      c, "escape sequence in a reported metric name", "POST", "/api/v1/trials/1/report",
      Json{{"client_id", "hostile"}, {"step", 1}, {"values", {{"loss\x1B[2J", 1.0}}}}.dump(), 400,
      "/values/loss\x1B[2J");
}

// Store start-up: a stored sweep record this build cannot decode (what case 4
// stored before bounds were checked) is reported with its key; every other
// sweep loads and is served, and new sweeps never take its id.
TEST(HostileInputE2eTest, AnUndecodableSweepRecordDoesNotStopTheOthers) {
  Coordinator c(MakeTempDir("undecodable"));
  c.Start();
  const std::string db_dir = c.dir() + "/db";
  const uint64_t good = CreateSweep(c, ExternalSweep({{"x", {{"min", 0.0}, {"max", 1.0}}}}));
  ASSERT_TRUE(AskOne(c, good).is_object());
  const std::string before = ListSweeps(c);
  c.Stop();
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), db_dir, descriptors, &handles, &db).ok());
    size_t sweeps = 0;
    while (names[sweeps] != "sweeps") ++sweeps;
    const std::string key("\0\0\0\0\0\0\0\x09", 8);  // sweep 9
    const std::string record =
        R"({"id":9,"state":"running","spec":{"name":"bricked","metric":{"name":"loss","goal":"minimize"},)"
        R"("method":"random","parameters":{"x":{"distribution":"int_uniform","min":0,)"
        R"("max":-9223372036854775808,"grid_points":5}},"max_trials":50,"program":{"external":true}}})";
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db->Put(sync, handles[sweeps], key, record).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  c.Start();
  c.ExpectHealthy("restart over an undecodable sweep record");
  EXPECT_EQ(ListSweeps(c), before);
  EXPECT_EQ(c.Send("GET", "/api/v1/sweeps/9").status, 404);
  EXPECT_NE(c.Log().find("sweeps key 0x0000000000000009"), std::string::npos) << c.Log();
  const uint64_t next = CreateSweep(c, ExternalSweep({{"y", {{"min", 0.0}, {"max", 1.0}}}}));
  EXPECT_GT(next, 9u);
  EXPECT_TRUE(AskOne(c, good, "after").is_object());
}

}  // namespace
}  // namespace hpsweep
