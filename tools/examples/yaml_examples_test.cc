// YAML sweep files: every example's YAML form (yaml/NAME.yaml) parses to the
// same canonical sweep as its JSON form (NAME.json), and every YAML example
// at the top level (command programs) is a valid sweep whose command's
// script is there.
#include <filesystem>

#include "gtest/gtest.h"
#include "proto/sweep_file.h"

namespace hpsweep {
namespace {

namespace fs = std::filesystem;

fs::path ExamplesDir() {
  return fs::path(std::getenv("TEST_SRCDIR")) / std::getenv("TEST_WORKSPACE") / "tools/examples";
}

TEST(YamlExamplesTest, EveryExampleHasAYamlFormThatParsesToTheSameSweep) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(ExamplesDir())) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto json = proto::ReadSweepFile(entry.path().string());
    ASSERT_TRUE(json.ok()) << json.status();
    const fs::path yaml_path =
        ExamplesDir() / "yaml" / (entry.path().stem().string() + ".yaml");
    auto yaml = proto::ReadSweepFile(yaml_path.string());
    ASSERT_TRUE(yaml.ok()) << yaml.status();
    EXPECT_EQ(proto::ToJson(yaml->spec), proto::ToJson(json->spec));
    EXPECT_EQ(yaml->json, json->json) << "the same document, not only the same sweep";
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST(YamlExamplesTest, CommandProgramExamplesAreValidAndTheirScriptsExist) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(ExamplesDir())) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto file = proto::ReadSweepFile(entry.path().string());
    ASSERT_TRUE(file.ok()) << file.status();
    const proto::ProgramSpec& program = file->spec.program;
    ASSERT_TRUE(program.IsCommand());
    const fs::path workdir = ExamplesDir() / program.workdir;
    ASSERT_GE(program.command.size(), 2u);
    EXPECT_TRUE(fs::exists(workdir / program.command[1])) << workdir / program.command[1];
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

}  // namespace
}  // namespace hpsweep
