#include "coordinator/search/search_space.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

proto::SweepSpec Spec(const char* parameters, const char* method = "random") {
  Json j = {{"name", "t"},
            {"metric", {{"name", "loss"}}},
            {"method", method},
            {"parameters", Json::parse(parameters)},
            {"program", {{"external", true}}}};
  auto spec = proto::ParseSweepSpec(j);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

TEST(SearchSpaceTest, LayoutCountsCoordinates) {
  auto space = SearchSpace::Create(Spec(R"({
      "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 1},
      "opt": {"values": ["sgd", "adam", "rmsprop"]},
      "epochs": {"value": 3},
      "width": {"min": 8, "max": 15}})"));
  ASSERT_TRUE(space.ok());
  EXPECT_EQ(space->dimensions(), 1 + 3 + 1);
  ASSERT_EQ(space->blocks().size(), 3u);
}

TEST(SearchSpaceTest, DecodeRespectsBoundsScalesAndTypes) {
  auto space = *SearchSpace::Create(Spec(R"({
      "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 1},
      "width": {"min": 8, "max": 15},
      "units": {"distribution": "int_log_uniform", "min": 1, "max": 1024},
      "epochs": {"value": 3}})"));
  // Blocks are in spec order (sorted by name): epochs(const), lr, units, width.
  Json mid = space.Decode({0.5, 0.5, 0.5});
  EXPECT_NEAR(mid["lr"].get<double>(), 1e-2, 1e-9);  // geometric middle
  EXPECT_TRUE(mid["width"].is_number_integer());
  EXPECT_TRUE(mid["units"].is_number_integer());
  EXPECT_EQ(mid["epochs"], 3);
  Json lo = space.Decode({0.0, 0.0, 0.0});
  EXPECT_NEAR(lo["lr"].get<double>(), 1e-4, 1e-12);
  EXPECT_EQ(lo["width"], 8);
  EXPECT_EQ(lo["units"], 1);
  Json hi = space.Decode({1.0, 1.0, 1.0});
  EXPECT_NEAR(hi["lr"].get<double>(), 1.0, 1e-9);
  EXPECT_EQ(hi["width"], 15);
  EXPECT_EQ(hi["units"], 1024);
}

TEST(SearchSpaceTest, EncodeInvertsDecode) {
  auto space = *SearchSpace::Create(Spec(R"({
      "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 1},
      "opt": {"values": ["sgd", "adam"]},
      "width": {"min": 8, "max": 15}})"));
  for (double a : {0.05, 0.3, 0.77}) {
    std::vector<double> u = {a, 0.9, 0.1, 1 - a};
    Json params = space.Decode(u);
    std::vector<double> back;
    std::vector<bool> active;
    ASSERT_TRUE(space.Encode(params, &back, &active).ok());
    EXPECT_EQ(space.Decode(back), params);
    EXPECT_EQ(active, std::vector<bool>(4, true));
  }
}

TEST(SearchSpaceTest, ConditionalParametersAppearOnlyUnderTheirParent) {
  auto space = *SearchSpace::Create(Spec(R"({
      "opt": {"values": ["sgd", "adam"]},
      "momentum": {"min": 0.0, "max": 0.99, "condition": {"parent": "opt", "values": ["sgd"]}}})"));
  // Layout: opt (2 one-hot coordinates), momentum (1).
  Json sgd = space.Decode({0.9, 0.1, 0.5});
  EXPECT_EQ(sgd["opt"], "sgd");
  EXPECT_TRUE(sgd.contains("momentum"));
  Json adam = space.Decode({0.1, 0.9, 0.5});
  EXPECT_EQ(adam["opt"], "adam");
  EXPECT_FALSE(adam.contains("momentum"));
  std::vector<double> u;
  std::vector<bool> active;
  ASSERT_TRUE(space.Encode(adam, &u, &active).ok());
  EXPECT_EQ(active, (std::vector<bool>{true, true, false}));
}

TEST(SearchSpaceTest, EncodeRejectsValuesOutsideTheSpace) {
  auto space = *SearchSpace::Create(Spec(R"({
      "opt": {"values": ["sgd", "adam"]}, "x": {"min": 0.0, "max": 1.0}})"));
  std::vector<double> u;
  std::vector<bool> active;
  Status s = space.Encode(Json{{"opt", "lion"}, {"x", 0.5}}, &u, &active);
  EXPECT_EQ(s.field(), "/params/opt");
  s = space.Encode(Json{{"opt", "sgd"}, {"x", 2.0}}, &u, &active);
  EXPECT_EQ(s.field(), "/params/x");
  s = space.Encode(Json{{"opt", "sgd"}}, &u, &active);
  EXPECT_EQ(s.field(), "/params/x");
}

TEST(SearchSpaceTest, GridEnumeratesEveryCombinationOnce) {
  auto space = *SearchSpace::Create(Spec(R"({
      "opt": {"values": ["sgd", "adam"]},
      "momentum": {"values": [0.0, 0.9], "condition": {"parent": "opt", "values": ["sgd"]}},
      "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1, "grid_points": 3}})",
                                         "grid"));
  // lr (3) x [opt=adam (1) + opt=sgd x momentum (2)] = 9
  ASSERT_EQ(space.GridSize(1000), 9);
  std::set<std::string> seen;
  for (int64_t i = 0; i < 9; ++i) {
    Json p = space.GridPoint(i);
    EXPECT_TRUE(seen.insert(p.dump()).second) << p.dump();
    EXPECT_EQ(p.contains("momentum"), p["opt"] == "sgd") << p.dump();
  }
  EXPECT_EQ(space.GridSize(5), 6);  // capped at cap + 1
}

// The grid order before grid sizes were computed rather than enumerated: a
// depth-first walk over parameters in spec order. Stored grid sweeps rely on
// GridPoint(number) keeping exactly this order.
void EnumerateGrid(const proto::SweepSpec& spec, size_t first, Json& assigned,
                   std::vector<Json>* out) {
  if (first == spec.parameters.size()) {
    out->push_back(assigned);
    return;
  }
  const proto::ParameterSpec& p = spec.parameters[first];
  bool active = true;
  if (p.condition) {
    auto it = assigned.find(p.condition->parent);
    active = it != assigned.end() &&
             std::find(p.condition->values.begin(), p.condition->values.end(), *it) !=
                 p.condition->values.end();
  }
  if (!active) return EnumerateGrid(spec, first + 1, assigned, out);
  // The grid values of one parameter, read off a one-parameter space.
  proto::SweepSpec alone = spec;
  alone.parameters = {p};
  alone.parameters[0].condition.reset();
  auto one = *SearchSpace::Create(alone);
  for (int64_t k = 0; k < one.GridSize(100000); ++k) {
    assigned[p.name] = one.GridPoint(k)[p.name];
    EnumerateGrid(spec, first + 1, assigned, out);
  }
  assigned.erase(p.name);
}

TEST(SearchSpaceTest, GridSizeAndOrderMatchEnumeration) {
  const char* spaces[] = {
      R"({"opt": {"values": ["sgd", "adam", "rms"]},
          "momentum": {"values": [0.0, 0.5, 0.9], "condition": {"parent": "opt", "values": ["sgd", "rms"]}},
          "nesterov": {"values": [true, false], "condition": {"parent": "momentum", "values": [0.9]}},
          "beta": {"min": 0.8, "max": 0.99, "grid_points": 3, "condition": {"parent": "opt", "values": ["adam"]}},
          "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1, "grid_points": 3},
          "width": {"min": 1, "max": 4},
          "task": {"value": "x"}})",
      R"({"a": {"values": [1, 2]}, "b": {"values": [1, 2], "condition": {"parent": "a", "values": [2]}},
          "c": {"values": [1, 2, 3], "condition": {"parent": "b", "values": [1]}},
          "d": {"min": 0, "max": 1, "grid_points": 2, "condition": {"parent": "a", "values": [1]}}})",
  };
  for (const char* parameters : spaces) {
    const proto::SweepSpec spec = Spec(parameters, "grid");
    auto space = *SearchSpace::Create(spec);
    std::vector<Json> expected;
    Json assigned = Json::object();
    EnumerateGrid(spec, 0, assigned, &expected);
    ASSERT_EQ(space.GridSize(1'000'000), static_cast<int64_t>(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(space.GridPoint(static_cast<int64_t>(i)), expected[i]) << i;
    }
  }
}

// Issue 11, case 6: a grid is counted, never enumerated, whatever its size.
TEST(SearchSpaceTest, HugeGridsAreCountedNotEnumerated) {
  std::string thirty = "{";
  for (int i = 0; i < 30; ++i) {
    thirty += (i ? "," : "") + ("\"p" + std::to_string(10 + i) + "\": {\"min\": 0.0, \"max\": 1.0, \"grid_points\": 1000}");
  }
  thirty += "}";
  auto huge = *SearchSpace::Create(Spec(thirty.c_str(), "grid"));
  EXPECT_EQ(huge.GridSize(10'000'000), 10'000'001);  // 1000^30 saturates, instantly
  EXPECT_EQ(huge.GridSize(INT64_MAX / 2), INT64_MAX / 2 + 1);

  // 10^7 points: the last one is found directly.
  std::string seven = "{";
  for (int i = 0; i < 7; ++i) {
    seven += (i ? "," : "") + ("\"p" + std::to_string(i) + "\": {\"min\": 0, \"max\": 9, \"grid_points\": 10}");
  }
  seven += "}";
  auto space = *SearchSpace::Create(Spec(seven.c_str(), "grid"));
  ASSERT_EQ(space.GridSize(100'000'000), 10'000'000);
  Json last = space.GridPoint(9'999'999);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(last["p" + std::to_string(i)], 9);
  Json some = space.GridPoint(1'234'567);
  EXPECT_EQ(some["p0"], 1);  // p0 is the most significant digit
  EXPECT_EQ(some["p1"], 2);
  EXPECT_EQ(some["p6"], 7);
}

// Issue 11, cases 4-5: whatever an accepted space samples is finite, within
// its bounds, and (for integer kinds) an exact integer.
TEST(SearchSpaceTest, SamplesOfExtremeBoundsAreFiniteAndInRange) {
  const char* parameters = R"({
      "u": {"min": -8.9e307, "max": 8.9e307},
      "v": {"min": 0, "max": 1.7976931348623157e308},
      "l": {"distribution": "log_uniform", "min": 5e-324, "max": 1.7976931348623157e308},
      "i": {"min": -9007199254740992, "max": 9007199254740992},
      "k": {"distribution": "int_log_uniform", "min": 1, "max": 9007199254740992},
      "c": {"values": [1e308, -1e308, "x"]}})";
  for (const char* method : {"random", "grid"}) {
    const proto::SweepSpec spec = Spec(parameters, method);
    auto space = *SearchSpace::Create(spec);
    std::vector<Json> points;
    for (double u : {0.0, 1e-300, 0.25, 0.5, 0.999999999, 1.0 - 1e-16, 1.0}) {
      points.push_back(space.Decode(std::vector<double>(space.dimensions(), u)));
    }
    const int64_t grid = space.GridSize(1'000'000);
    for (int64_t i : {int64_t{0}, grid / 2, grid - 1}) points.push_back(space.GridPoint(i));
    for (const Json& point : points) {
      for (const auto& p : spec.parameters) {
        const Json& v = point.at(p.name);
        ASSERT_TRUE(v.is_number() || v.is_string()) << point;
        if (!v.is_number()) continue;
        const double x = v.get<double>();
        EXPECT_TRUE(std::isfinite(x)) << p.name << " " << point;
        if (p.IsNumeric()) {
          EXPECT_GE(x, p.min) << p.name;
          EXPECT_LE(x, p.max) << p.name;
        }
        if (p.IsInteger()) {
          EXPECT_TRUE(v.is_number_integer()) << p.name;
        }
      }
      // What was sampled can be stored and read back.
      auto again = proto::ParseJsonText(proto::DumpJson(point));
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_EQ(*again, point);
      std::vector<double> u;
      std::vector<bool> active;
      EXPECT_TRUE(space.Encode(point, &u, &active).ok()) << point;
    }
  }
}

}  // namespace
}  // namespace hpsweep::coordinator
