// Command programs: argv and environment, report lines and script requests,
// the checkpoint folder archive, and a real process behind CommandProcess.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "worker/command_process.h"
#include "worker/command_program.h"
#include "worker/dir_archive.h"

namespace hpsweep::worker {
namespace {

namespace fs = std::filesystem;
using proto::Json;

TEST(CommandProgramTest, ExpandsArgsAndNamedParameters) {
  const Json params = {{"lr", 0.01}, {"layers", 3}, {"opt", "adam"}, {"bn", true},
                       {"sizes", {1, 2}}};
  const auto argv = ExpandCommand({"python3", "train.py", "${args}", "--opt", "${opt}",
                                   "--x=${lr}/${layers}", "${momentum}", "--m=${momentum}"},
                                  params);
  EXPECT_EQ(argv, (std::vector<std::string>{
                      "python3", "train.py", "--bn=true", "--layers=3", "--lr=0.01",
                      "--opt=adam", "--sizes=[1,2]", "--opt", "adam", "--x=0.01/3",
                      // "${momentum}" (inactive) is left out; inside a word it is "".
                      "--m="}));
}

TEST(CommandProgramTest, EnvironmentCarriesTrialAndRendezvous) {
  proto::ProgramSpec program;
  program.command = {"python3"};
  program.env = {{"FOO", "bar"}};
  CommandContext c;
  c.trial.id = 7;
  c.trial.params = {{"lr", 0.5}};
  c.metric = "val_loss";
  c.checkpoint_dir = "/tmp/ck";
  c.restored_step = 4;
  c.placement = {1, 2, 1, "127.0.0.1", 29511};
  const auto env = CommandEnvironment(program, c);
  for (const char* kv : {"FOO=bar", "HPSWEEP_PARAMS={\"lr\":0.5}", "HPSWEEP_TRIAL_ID=7",
                         "HPSWEEP_METRIC=val_loss", "HPSWEEP_CHECKPOINT_DIR=/tmp/ck",
                         "HPSWEEP_RESTORED_STEP=4", "RANK=1", "WORLD_SIZE=2", "LOCAL_RANK=1",
                         "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29511"}) {
    EXPECT_NE(std::find(env.begin(), env.end(), kv), env.end()) << kv;
  }
}

TEST(CommandProgramTest, ParsesReportLines) {
  auto none = ParseReportLine("epoch 3 loss 0.1");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto line = ParseReportLine("hpsweep: step=3 val_loss=0.12 acc=9e-1");
  ASSERT_TRUE(line.ok() && line->has_value()) << line.status();
  EXPECT_EQ((*line)->step, 3);
  EXPECT_EQ((*line)->values, (proto::Values{{"val_loss", 0.12}, {"acc", 0.9}}));
  auto no_step = ParseReportLine("hpsweep: loss=1");
  ASSERT_TRUE(no_step.ok() && no_step->has_value());
  EXPECT_EQ((*no_step)->step, -1);
  for (const char* bad : {"hpsweep: step=3", "hpsweep: loss=abc", "hpsweep: loss", "hpsweep: step=-1 a=1",
                          "hpsweep: loss=nan"}) {
    EXPECT_FALSE(ParseReportLine(bad).ok()) << bad;
  }
}

TEST(CommandProgramTest, ParsesScriptRequests) {
  auto report = ParseScriptRequest(R"({"op": "report", "step": 2, "values": {"loss": 0.5}})");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->op, ScriptRequest::Op::kReport);
  EXPECT_EQ(report->step, 2);
  auto complete = ParseScriptRequest(R"({"op": "complete", "values": {}})");
  ASSERT_TRUE(complete.ok()) << complete.status();
  EXPECT_EQ(complete->op, ScriptRequest::Op::kComplete);
  for (const char* bad : {"{", R"({"op": "x"})", R"({"op": "report", "values": {}})",
                          R"({"op": "report", "values": {"a": "b"}})",
                          R"({"op": "report", "values": {"a": 1}, "extra": 1})"}) {
    EXPECT_FALSE(ParseScriptRequest(bad).ok()) << bad;
  }
}

TEST(CommandProgramTest, TailKeepsTheLastLines) {
  EXPECT_EQ(TailLines("a\nb\nc\nd\n\n", 2, 100), "c\nd");
  EXPECT_EQ(TailLines("abcdef", 5, 3), "def");
  EXPECT_EQ(TailLines("", 3, 10), "");
}

TEST(DirArchiveTest, RoundTripsAFolderAndRefusesEscapes) {
  const fs::path root = fs::temp_directory_path() / ("dir_archive_test_" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "src/sub");
  fs::create_directories(root / "src/empty");
  std::ofstream(root / "src/a.txt") << "alpha";
  std::ofstream(root / "src/sub/b.bin") << std::string("\0\1\2", 3);
  const std::string before = DirectoryFingerprint((root / "src").string());
  auto packed = PackDirectory((root / "src").string(), 1 << 20);
  ASSERT_TRUE(packed.ok()) << packed.status();
  ASSERT_TRUE(UnpackDirectory(*packed, (root / "dst").string()).ok());
  std::ifstream a(root / "dst/a.txt"), b(root / "dst/sub/b.bin");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}), "alpha");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(b), {}), std::string("\0\1\2", 3));
  EXPECT_TRUE(fs::is_directory(root / "dst/empty"));
  EXPECT_EQ(before, DirectoryFingerprint((root / "src").string()));
  std::ofstream(root / "src/a.txt", std::ios::app) << "!";
  EXPECT_NE(before, DirectoryFingerprint((root / "src").string()));

  EXPECT_EQ(PackDirectory((root / "src").string(), 10).status().code(),
            StatusCode::kFailedPrecondition);
  std::string evil = "HPSDIR1\nf";
  const std::string name = "../evil";
  evil += std::string{static_cast<char>(name.size()), 0, 0, 0} + name;
  evil += std::string{0, 0, 0, 0} + std::string(8, '\0');
  EXPECT_EQ(UnpackDirectory(evil, (root / "dst2").string()).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(root / "evil"));
  EXPECT_EQ(UnpackDirectory("garbage", (root / "dst3").string()).code(),
            StatusCode::kInvalidArgument);
  fs::remove_all(root);
}

// A shell script as the command: it asks, gets answers, and writes stderr.
TEST(CommandProcessTest, RelaysRequestsStdoutReportsAndExit) {
  CommandProcess p;
  const std::string script =
      "echo 'hpsweep: step=1 loss=0.5'; echo plain; "
      "echo '{\"op\":\"report\",\"values\":{\"loss\":1}}' >&3; read reply <&4; "
      "echo \"got $reply $FOO\"; echo oops >&2; exit 3";
  ASSERT_TRUE(p.Start({"/bin/sh", "-c", script}, "/tmp", {"FOO=bar"}, "[test] ").ok());
  std::vector<CommandEvent> events;
  for (int i = 0; i < 100 && events.size() < 2; ++i) {
    for (auto& e : p.WaitEvents(0.1)) events.push_back(e);
  }
  ASSERT_EQ(events.size(), 2u);
  const CommandEvent& request =
      events[0].kind == CommandEvent::Kind::kRequest ? events[0] : events[1];
  const CommandEvent& line =
      events[0].kind == CommandEvent::Kind::kRequest ? events[1] : events[0];
  EXPECT_EQ(line.line, "hpsweep: step=1 loss=0.5");
  EXPECT_EQ(request.line, R"({"op":"report","values":{"loss":1}})");
  p.Reply(R"({"stop":false})");
  CommandExit exit;
  for (int i = 0; i < 200; ++i) {
    if (auto e = p.Poll()) {
      exit = *e;
      break;
    }
    p.WaitEvents(0.05);
  }
  p.Finish(2);
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 3);
  EXPECT_EQ(exit.Describe(), "exited with status 3");
  EXPECT_EQ(p.StderrTail(5, 100), "oops");
}

TEST(CommandProcessTest, TerminateKillsAScriptThatIgnoresSigterm) {
  CommandProcess p;
  ASSERT_TRUE(p.Start({"/bin/sh", "-c",
                       "trap '' TERM; echo 'hpsweep: ready=1'; while true; do sleep 0.05; done"},
                      "/tmp", {}, "[test] ")
                  .ok());
  // Only once the trap is set.
  for (int i = 0; i < 100 && p.WaitEvents(0.1).empty(); ++i) {
  }
  const CommandExit exit = p.Terminate(0.3);
  EXPECT_FALSE(exit.exited);
  EXPECT_EQ(exit.signal, SIGKILL);
  EXPECT_EQ(exit.Describe(), "killed by signal 9 (SIGKILL)");
}

TEST(CommandProcessTest, ReportsAProgramThatCannotRun) {
  CommandProcess p;
  Status s = p.Start({"/nonexistent/program"}, "/tmp", {}, "");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("No such file"), std::string::npos) << s;
  CommandProcess q;
  EXPECT_EQ(q.Start({"/bin/true"}, "/nonexistent-folder", {}, "").code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hpsweep::worker
