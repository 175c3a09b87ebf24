#include "common/flags.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hpsweep {
namespace {

struct Parsed {
  std::string url;
  int port = 8470;
  uint64_t sweep = 0;
  double wait = 30;
};

// Declares the flags of a small program over `p`.
void Declare(Flags& flags, Parsed& p) {
  flags.String("--url", &p.url);
  flags.Int("--port", &p.port, 0, 65535);
  flags.Int("--sweep", &p.sweep, 1, int64_t{9'000'000'000'000'000});
  flags.Double("--wait", &p.wait, 0, 1e9);
}

TEST(FlagsTest, ValuesFollowTheFlagOrAnEqualsSign) {
  Flags flags;
  Parsed p;
  Declare(flags, p);
  auto positional =
      flags.Parse({"run", "--url", "http://h:1", "file.json", "--port=80", "--wait", "0.5"});
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_EQ(*positional, (std::vector<std::string>{"run", "file.json"}));
  EXPECT_EQ(p.url, "http://h:1");
  EXPECT_EQ(p.port, 80);
  EXPECT_EQ(p.wait, 0.5);
  EXPECT_EQ(p.sweep, 0u) << "an absent flag keeps its default";
  EXPECT_TRUE(flags.IsSet("--port"));
  EXPECT_FALSE(flags.IsSet("--sweep"));
  EXPECT_FALSE(flags.help());
}

TEST(FlagsTest, BadValuesAreErrorsNamingTheFlagAndTheValue) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--sweep", "abc"}, "--sweep must be a whole number in [1, 9000000000000000], found \"abc\""},
      {{"--sweep", "0"}, "--sweep must be a whole number in [1, 9000000000000000], found \"0\""},
      {{"--sweep", "1.5"}, "found \"1.5\""},
      {{"--sweep", " 7"}, "found \" 7\""},
      {{"--sweep", "7 "}, "found \"7 \""},
      {{"--sweep="}, "found \"\""},
      {{"--sweep", "99999999999999999999"}, "found \"99999999999999999999\""},
      {{"--port", "65536"}, "--port must be a whole number in [0, 65535], found \"65536\""},
      {{"--port", "-1"}, "found \"-1\""},
      {{"--wait", "soon"}, "--wait must be a number in [0, 1e+09], found \"soon\""},
      {{"--wait", "nan"}, "found \"nan\""},
      {{"--wait", "inf"}, "found \"inf\""},
      {{"--wait", "1e999"}, "found \"1e999\""},
      {{"--wait", "-0.5"}, "found \"-0.5\""},
      {{"--bogus", "1"}, "unknown flag --bogus"},
      {{"--bogus=1"}, "unknown flag --bogus"},
      {{"-x"}, "unknown flag -x"},
      {{"--url"}, "--url needs a value"},
      {{"--port"}, "--port needs a value"},
  };
  for (const Case& c : cases) {
    Flags flags;
    Parsed p;
    Declare(flags, p);
    auto positional = flags.Parse(c.args);
    ASSERT_FALSE(positional.ok()) << c.args[0];
    EXPECT_EQ(positional.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(positional.status().message().find(c.message), std::string::npos)
        << positional.status().message();
  }
}

TEST(FlagsTest, HelpAnywhereWinsOverEverythingElse) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"run", "--help"}, {"--port", "abc", "-h"}, {"--bogus", "--help"}}) {
    Flags flags;
    Parsed p;
    Declare(flags, p);
    auto positional = flags.Parse(args);
    ASSERT_TRUE(positional.ok()) << positional.status();
    EXPECT_TRUE(flags.help());
    EXPECT_TRUE(positional->empty());
    EXPECT_EQ(p.port, 8470) << "nothing is set when usage is asked for";
  }
}

TEST(FlagsTest, ALoneDashIsPositional) {
  Flags flags;
  Parsed p;
  Declare(flags, p);
  auto positional = flags.Parse({"-"});
  ASSERT_TRUE(positional.ok());
  EXPECT_EQ(*positional, std::vector<std::string>{"-"});
}

TEST(FlagsTest, ArgcArgvSkipsTheProgramName) {
  Flags flags;
  Parsed p;
  Declare(flags, p);
  char program[] = "prog", flag[] = "--port", value[] = "9";
  char* argv[] = {program, flag, value, nullptr};
  auto positional = flags.Parse(3, argv);
  ASSERT_TRUE(positional.ok());
  EXPECT_TRUE(positional->empty());
  EXPECT_EQ(p.port, 9);
}

TEST(FlagsTest, ParseIntAndParseDoubleCheckValuesThatAreNotFlags) {
  EXPECT_EQ(*Flags::ParseInt("sweep id", "12", 1, 100), 12);
  EXPECT_EQ(Flags::ParseInt("sweep id", "x", 1, 100).status().message(),
            "sweep id must be a whole number in [1, 100], found \"x\"");
  EXPECT_EQ(*Flags::ParseDouble("interval", "0.25", 0, 10), 0.25);
  EXPECT_FALSE(Flags::ParseDouble("interval", "11", 0, 10).ok());
}

}  // namespace
}  // namespace hpsweep
