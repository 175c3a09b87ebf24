#include "worker/command_program.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace hpsweep::worker {

using proto::Json;

namespace {

constexpr std::string_view kReportPrefix = "hpsweep:";

// A metric name and value as a script sent them, checked like a report's.
Status AddValue(const std::string& name, double value, const std::string& where,
                proto::Values* values) {
  if (name.empty() || name.size() > proto::kMaxNameBytes) {
    return InvalidArgumentError(where + ": a metric name must have 1 to " +
                                std::to_string(proto::kMaxNameBytes) + " bytes");
  }
  if (!std::isfinite(value)) {
    return InvalidArgumentError(where + ": metric \"" + name + "\" is not a finite number");
  }
  if (values->size() >= proto::kMaxValuesPerReport && !values->count(name)) {
    return InvalidArgumentError(where + ": at most " +
                                std::to_string(proto::kMaxValuesPerReport) +
                                " metrics per report");
  }
  (*values)[name] = value;
  return Status();
}

}  // namespace

std::string ParamValueText(const Json& value) {
  return value.is_string() ? value.get<std::string>() : proto::DumpJson(value);
}

std::vector<std::string> ExpandCommand(const std::vector<std::string>& command,
                                       const Json& params) {
  std::vector<std::string> argv;
  for (const std::string& arg : command) {
    if (arg == "${args}") {
      for (auto it = params.begin(); it != params.end(); ++it) {
        argv.push_back("--" + it.key() + "=" + ParamValueText(it.value()));
      }
      continue;
    }
    std::string out;
    bool dropped = false;
    size_t pos = 0;
    while (true) {
      const size_t at = arg.find("${", pos);
      const size_t end = at == std::string::npos ? at : arg.find('}', at);
      if (at == std::string::npos || end == std::string::npos) {
        out += arg.substr(pos);
        break;
      }
      out += arg.substr(pos, at - pos);
      const std::string name = arg.substr(at + 2, end - at - 2);
      auto found = params.find(name);
      if (found != params.end()) {
        out += ParamValueText(*found);
      } else if (at == 0 && end + 1 == arg.size()) {
        dropped = true;  // exactly "${name}" of an inactive parameter
      }
      pos = end + 1;
    }
    if (!dropped) argv.push_back(std::move(out));
  }
  return argv;
}

std::vector<std::string> CommandEnvironment(const proto::ProgramSpec& program,
                                            const CommandContext& c) {
  // Python scripts' prints reach the worker as they happen (a pipe would
  // otherwise buffer them until exit); program.env may say otherwise.
  std::vector<std::string> env = {"PYTHONUNBUFFERED=1"};
  for (auto it = program.env.begin(); it != program.env.end(); ++it) {
    if (it.value().is_string()) env.push_back(it.key() + "=" + it.value().get<std::string>());
  }
  env.push_back("HPSWEEP_PARAMS=" + proto::DumpJson(c.trial.params));
  env.push_back("HPSWEEP_TRIAL_ID=" + std::to_string(c.trial.id));
  env.push_back("HPSWEEP_SWEEP_ID=" + std::to_string(c.trial.sweep_id));
  env.push_back("HPSWEEP_TRIAL_NUMBER=" + std::to_string(c.trial.number));
  env.push_back("HPSWEEP_ATTEMPT=" + std::to_string(c.trial.attempt));
  env.push_back("HPSWEEP_METRIC=" + c.metric);
  env.push_back("HPSWEEP_CHECKPOINT_DIR=" + c.checkpoint_dir);
  env.push_back("HPSWEEP_RESTORED_STEP=" + std::to_string(c.restored_step));
  env.push_back("HPSWEEP_REQUEST_FD=" + std::to_string(c.request_fd));
  env.push_back("HPSWEEP_REPLY_FD=" + std::to_string(c.reply_fd));
  const RankPlacement& p = c.placement;
  env.push_back("RANK=" + std::to_string(p.rank));
  env.push_back("WORLD_SIZE=" + std::to_string(p.world_size));
  env.push_back("LOCAL_RANK=" + std::to_string(p.local_rank));
  env.push_back("MASTER_ADDR=" + p.master_addr);
  env.push_back("MASTER_PORT=" + std::to_string(p.master_port));
  return env;
}

StatusOr<std::optional<LineReport>> ParseReportLine(const std::string& line) {
  if (line.compare(0, kReportPrefix.size(), kReportPrefix) != 0) return std::optional<LineReport>();
  LineReport report;
  std::istringstream words(line.substr(kReportPrefix.size()));
  std::string word;
  while (words >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == word.size()) {
      return InvalidArgumentError("report line: expected name=value, found \"" + word + "\"");
    }
    const std::string name = word.substr(0, eq), text = word.substr(eq + 1);
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') {
      return InvalidArgumentError("report line: \"" + name + "\" is not a number: \"" + text +
                                  "\"");
    }
    if (name == "step") {
      if (!(value >= 0 && value <= 9e15) || std::floor(value) != value) {
        return InvalidArgumentError("report line: step must be an integer >= 0, found " + text);
      }
      report.step = static_cast<int64_t>(value);
      continue;
    }
    HPS_RETURN_IF_ERROR(AddValue(name, value, "report line", &report.values));
  }
  if (report.values.empty()) {
    return InvalidArgumentError("report line: no metric (expected e.g. \"hpsweep: step=3 "
                                "val_loss=0.12\")");
  }
  return std::optional<LineReport>(std::move(report));
}

StatusOr<ScriptRequest> ParseScriptRequest(const std::string& line) {
  HPS_ASSIGN_OR_RETURN(Json json, proto::ParseJsonText(line));
  proto::JsonReader r(json, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  ScriptRequest request;
  std::string op;
  HPS_RETURN_IF_ERROR(r.String("op", &op));
  if (op == "report") {
    request.op = ScriptRequest::Op::kReport;
    HPS_RETURN_IF_ERROR(r.OptionalInt("step", &request.step));
    if (r.Has("step") && request.step < 0) return r.Error("step", "expected an integer >= 0");
  } else if (op == "complete") {
    request.op = ScriptRequest::Op::kComplete;
  } else {
    return r.Error("op", "expected \"report\" or \"complete\", found \"" + op + "\"");
  }
  if (const Json* values = r.Find("values")) {
    if (!values->is_object()) return r.Error("values", "expected an object of numbers");
    for (auto it = values->begin(); it != values->end(); ++it) {
      if (!it.value().is_number()) {
        return r.Error("values", "metric \"" + it.key() + "\" is not a number");
      }
      HPS_RETURN_IF_ERROR(AddValue(it.key(), it.value().get<double>(), "values", &request.values));
    }
  }
  if (request.op == ScriptRequest::Op::kReport && request.values.empty()) {
    return r.Error("values", "a report needs at least one metric");
  }
  HPS_RETURN_IF_ERROR(r.NoOtherKeys());
  return request;
}

std::string TailLines(const std::string& text, size_t max_lines, size_t max_bytes) {
  size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ')) --end;
  size_t start = end, lines = 0;
  while (start > 0) {
    if (text[start - 1] == '\n' && ++lines == max_lines) break;
    --start;
  }
  if (end - start > max_bytes) start = end - max_bytes;
  return text.substr(start, end - start);
}

}  // namespace hpsweep::worker
