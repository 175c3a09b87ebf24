#include <set>

#include "coordinator/search/searcher.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

SearchSpace Space(const char* method, uint64_t seed = 1) {
  Json j = {{"name", "t"},
            {"metric", {{"name", "loss"}}},
            {"method", method},
            {"seed", seed},
            {"parameters", Json::parse(R"({"x": {"min": 0.0, "max": 1.0},
                                           "opt": {"values": ["a", "b", "c"]}})")},
            {"program", {{"external", true}}}};
  return *SearchSpace::Create(*proto::ParseSweepSpec(j));
}

std::vector<Json> Draw(Searcher& s, int n) {
  std::vector<Json> out;
  for (int i = 0; i < n; ++i) {
    auto p = s.Suggest({}, i);
    EXPECT_TRUE(p.ok() && p->has_value());
    out.push_back(**p);
  }
  return out;
}

TEST(SearchersTest, RandomIsDeterministicPerSeedAndNumber) {
  SearchSpace space = Space("random", 5);
  auto a = *CreateSearcher(space);
  auto b = *CreateSearcher(space);
  std::vector<Json> first = Draw(*a, 20);
  EXPECT_EQ(first, Draw(*b, 20));
  // Trial 13 alone (as after a restart) gives the same point.
  auto c = *CreateSearcher(space);
  EXPECT_EQ(**c->Suggest({}, 13), first[13]);
  SearchSpace other = Space("random", 6);
  auto d = *CreateSearcher(other);
  EXPECT_NE(Draw(*d, 20), first);
}

TEST(SearchersTest, RandomCoversCategoriesAndRange) {
  SearchSpace space = Space("random");
  auto s = *CreateSearcher(space);
  std::set<std::string> cats;
  double lo = 1, hi = 0;
  for (const Json& p : Draw(*s, 200)) {
    cats.insert(p["opt"].get<std::string>());
    lo = std::min(lo, p["x"].get<double>());
    hi = std::max(hi, p["x"].get<double>());
  }
  EXPECT_EQ(cats.size(), 3u);
  EXPECT_LT(lo, 0.05);
  EXPECT_GT(hi, 0.95);
}

TEST(SearchersTest, SobolStratifiesAndResumesMidSequence) {
  SearchSpace space = Space("sobol", 3);
  auto s = *CreateSearcher(space);
  std::vector<Json> points = Draw(*s, 16);
  // 16 Sobol points put one x in each sixteenth of [0,1).
  std::set<int> cells;
  for (const Json& p : points) cells.insert(static_cast<int>(p["x"].get<double>() * 16));
  EXPECT_EQ(cells.size(), 16u);
  auto fresh = *CreateSearcher(space);
  EXPECT_EQ(**fresh->Suggest({}, 11), points[11]);
}

TEST(SearchersTest, GridEndsWhenExhausted) {
  Json j = {{"name", "t"},
            {"metric", {{"name", "loss"}}},
            {"method", "grid"},
            {"parameters", {{"a", {{"values", {1, 2, 3}}}}}},
            {"program", {{"external", true}}}};
  SearchSpace space = *SearchSpace::Create(*proto::ParseSweepSpec(j));
  auto s = *CreateSearcher(space);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((**s->Suggest({}, i))["a"], i + 1);
  auto end = s->Suggest({}, 3);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

}  // namespace
}  // namespace hpsweep::coordinator
