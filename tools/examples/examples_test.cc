// Every example sweep file is a valid sweep for the model zoo: it parses, its
// model exists, its parameters and fixed arguments are the model's
// hyperparameters, and its searcher can be built. Its metric is the model's
// declared one with the declared goal, or another metric the model reports
// with the settings the file fixes (checked by the pre-flight of `hpsweep
// run`, which builds and evaluates the model once).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "coordinator/search/searcher.h"
#include "gtest/gtest.h"
#include "models/preflight.h"
#include "models/workload.h"
#include "models/zoo_validator.h"
#include "proto/sweep_spec.h"

namespace hpsweep {
namespace {

namespace fs = std::filesystem;

TEST(ExamplesTest, EveryExampleIsAValidSweepForTheZoo) {
  const fs::path dir = fs::path(std::getenv("TEST_SRCDIR")) / std::getenv("TEST_WORKSPACE") /
                       "tools/examples";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().filename().string());
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto json = proto::ParseJsonText(text.str());
    ASSERT_TRUE(json.ok()) << json.status();
    auto spec = proto::ParseSweepSpec(*json);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_TRUE(models::ValidateZooProgram(*spec).ok()) << models::ValidateZooProgram(*spec);
    auto space = coordinator::SearchSpace::Create(*spec);
    ASSERT_TRUE(space.ok());
    auto searcher = coordinator::CreateSearcher(*space);
    EXPECT_TRUE(searcher.ok()) << searcher.status();
    auto info = models::FindModel(spec->program.model);
    ASSERT_TRUE(info.ok());
    if (spec->metric.name == info->metric) {
      EXPECT_EQ(spec->metric.goal == proto::Goal::kMaximize, info->maximize);
    } else {
      Status reported = models::PreflightZooProgram(*spec, dir.string());
      EXPECT_TRUE(reported.ok()) << reported;
    }
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

}  // namespace
}  // namespace hpsweep
