// The commands that take data out: export, checkpoint get, logs
// (export_commands.h).
#include "tools/cli/export_commands.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "tools/cli/trial_format.h"
#include "tools/cli/report.h"
#include "worker/model_export.h"

namespace hpsweep::cli {
namespace {

using proto::Json;

// The first line of a file without trailing blanks; "" when unreadable.
std::string ReadFirstLine(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

}  // namespace

// `hpsweep logs TRIAL`: the lines of DIR/logs/*.log that name the trial.
int Logs(const Args& a, uint64_t trial, std::ostream& out, std::ostream& err) {
  const std::string dir = DataDir(a);
  if (dir.empty()) {
    err << "hpsweep: logs needs --data-dir DIR (hpsweep run keeps worker logs in DIR/logs)\n";
    return 2;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path logs = fs::path(dir) / "logs";
  if (!fs::is_directory(logs, ec)) {
    err << "hpsweep: " << logs.string() << " does not exist (only `hpsweep run` writes worker logs "
        << "there; a cluster's worker logs are where its job scheduler put them)\n";
    return 1;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(logs, ec)) {
    if (entry.path().extension() == ".log") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const std::regex mention("\\btrial " + std::to_string(trial) + "\\b");
  int64_t lines = 0;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (!std::regex_search(line, mention)) continue;
      out << file.filename().string() << ": " << line << "\n";
      ++lines;
    }
  }
  if (lines == 0) {
    err << "hpsweep: no line of " << logs.string() << "/*.log names trial " << trial << "\n";
    return 1;
  }
  return 0;
}

// `hpsweep checkpoint get TRIAL -o FILE`.
int CheckpointGet(const Args& a, ResultSource& source, uint64_t trial_id, std::ostream& out,
                  std::ostream& err) {
  if (a.output.empty()) {
    err << "hpsweep: checkpoint get needs -o FILE\n";
    return 2;
  }
  const std::string format = a.format.empty() ? "model" : a.format;
  if (format != "model" && format != "raw") {
    err << "hpsweep: checkpoint get --format must be model or raw, found \"" << format << "\"\n";
    return 2;
  }
  auto trial = source.GetTrial(trial_id);
  if (!trial.ok()) return Fail(err, trial.status());
  auto sweep = source.GetSweep(trial->sweep_id);
  if (!sweep.ok()) return Fail(err, sweep.status());
  auto checkpoint = source.Checkpoint(trial_id, a.step);
  if (!checkpoint.ok()) {
    if (checkpoint.status().code() == StatusCode::kNotFound) {
      err << "hpsweep: trial " << trial_id << " has no checkpoint"
          << (a.step >= 0 ? " at step " + std::to_string(a.step) : std::string()) << " (state "
          << proto::TrialStateName(trial->state) << ", latest checkpoint step "
          << trial->checkpoint_step << ")\n";
      return 1;
    }
    return Fail(err, checkpoint.status());
  }
  const std::string& model = sweep->spec.program.model;
  Status written;
  std::string what;
  if (format == "raw") {
    std::ofstream file(a.output, std::ios::binary | std::ios::trunc);
    file << checkpoint->second;
    file.close();
    if (!file) written = UnavailableError("cannot write " + a.output);
    what = "the raw hpsweep checkpoint (model, optimizer and trainer state)";
  } else if (model == "torchscript") {
    Json args = sweep->spec.program.args;
    for (auto it = trial->params.begin(); it != trial->params.end(); ++it) args[it.key()] = it.value();
    // A stored sweep's values are JSON of any type; only a string names a file.
    const std::string module =
        args.contains("module") && args["module"].is_string() ? args["module"].get<std::string>()
                                                               : "";
    std::string base = a.base_dir;
    if (base.empty()) base = ReadFirstLine(std::filesystem::path(DataDir(a)) / "base_dir");
    const std::string path =
        module.empty() || module[0] == '/' || base.empty() ? module : base + "/" + module;
    written = worker::ExportTorchScript(checkpoint->second, path, a.output);
    what = "a TorchScript module (torch.jit.load / torch::jit::load)";
  } else {
    written = worker::ExportModelArchive(checkpoint->second, a.output);
    what = "the model's LibTorch archive (torch::load into model \"" + model +
           "\" built with the trial's parameters; models/README.md)";
  }
  if (!written.ok()) return Fail(err, written);
  out << "trial " << trial_id << " step " << checkpoint->first << " -> " << a.output << ": " << what
      << "\n";
  return 0;
}

// `hpsweep export SWEEP`.
int Export(const Args& a, ResultSource& source, uint64_t id, std::ostream& out,
           std::ostream& err) {
  auto trials = source.Trials(id);
  if (!trials.ok()) return Fail(err, trials.status());
  const std::string format = a.format.empty() ? "csv" : a.format;
  if (format == "csv") {
    out << TrialsCsv(*trials);
    return 0;
  }
  std::map<uint64_t, std::vector<proto::MetricPoint>> curves;
  for (const auto& t : *trials) {
    auto points = source.Metrics(t.id);
    if (!points.ok()) return Fail(err, points.status());
    curves[t.id] = std::move(*points);
  }
  if (format == "metrics") {
    out << MetricsCsvLong(curves);
  } else {
    Json arr = Json::array();
    for (const auto& t : *trials) {
      Json j = proto::ToJson(t);
      Json metrics = Json::array();
      for (const auto& p : curves[t.id]) metrics.push_back(proto::ToJson(p));
      j["metrics"] = std::move(metrics);
      arr.push_back(std::move(j));
    }
    out << arr.dump(2) << "\n";
  }
  return 0;
}

}  // namespace hpsweep::cli
