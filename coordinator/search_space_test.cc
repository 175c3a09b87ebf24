#include "coordinator/search_space.h"

#include <cmath>
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

}  // namespace
}  // namespace hpsweep::coordinator
