// The command-program part of a sweep's "program" block (sweep_spec.h,
// ProgramSpec::command); split from sweep_spec.cc, which calls it.
#include "proto/command_spec.h"

#include <cctype>

#include "common/utf8.h"

namespace hpsweep::proto {

// The command-program fields of "program" (command, workdir, env,
// stop_grace_seconds); `r` reads the program block.
Status ParseCommand(JsonReader& r, ProgramSpec* out) {
  const Json* command = r.Find("command");
  if (!command->is_array() || command->empty()) {
    return r.Error("command", "expected a non-empty array of strings (the program and its "
                              "arguments), found " + DescribeJson(*command));
  }
  if (command->size() > kMaxCommandArgs) {
    return r.Error("command", "at most " + std::to_string(kMaxCommandArgs) +
                                  " arguments are allowed, found " +
                                  std::to_string(command->size()));
  }
  for (size_t i = 0; i < command->size(); ++i) {
    const Json& arg = (*command)[i];
    const std::string at = r.PathOf("command") + "/" + std::to_string(i);
    if (!arg.is_string()) {
      return InvalidArgumentError("expected a string, found " + DescribeJson(arg), at);
    }
    const std::string& text = arg.get_ref<const std::string&>();
    if (text.size() > kMaxCommandArgBytes || text.find('\0') != std::string::npos) {
      return InvalidArgumentError("expected at most " + std::to_string(kMaxCommandArgBytes) + " bytes" +
                                      " without NUL bytes, found " + std::to_string(text.size()) + " bytes",
                                  at);
    }
    if (i == 0 && (text.empty() || text.find("${") != std::string::npos)) {
      return InvalidArgumentError("the program (first element) must be a plain path or name, "
                                  "found \"" + QuoteForMessage(text, 60) + "\"",
                                  at);
    }
    const size_t macro = text.find("${args}");
    if (macro != std::string::npos && text != "${args}") {
      return InvalidArgumentError("\"${args}\" must be a whole element (it becomes one "
                                  "--name=value argument per parameter)",
                                  at);
    }
    out->command.push_back(text);
  }
  HPS_RETURN_IF_ERROR(r.OptionalString("workdir", &out->workdir));
  if (out->workdir.size() > kMaxCommandArgBytes ||
      out->workdir.find('\0') != std::string::npos) {
    return r.Error("workdir", "expected a path of at most " + std::to_string(kMaxCommandArgBytes) + " bytes");
  }
  if (const Json* env = r.Find("env")) {
    if (!env->is_object()) return r.Error("env", "expected an object, found " + DescribeJson(*env));
    if (env->size() > kMaxCommandEnv) {
      return r.Error("env", "at most " + std::to_string(kMaxCommandEnv) +
                                " variables are allowed, found " + std::to_string(env->size()));
    }
    for (auto it = env->begin(); it != env->end(); ++it) {
      const std::string at = r.PathOf("env") + "/" + PointerToken(it.key());
      const std::string& name = it.key();
      bool ok_name = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
      for (char c : name) ok_name = ok_name && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
      if (!ok_name) {
        return InvalidArgumentError("expected a variable name of letters, digits and _, found \"" +
                                        QuoteForMessage(name, 60) + "\"",
                                    at);
      }
      if (name.rfind("HPSWEEP_", 0) == 0) {
        return InvalidArgumentError("HPSWEEP_ variables are set by the worker", at);
      }
      if (!it.value().is_string() || it.value().get_ref<const std::string&>().size() > kMaxCommandArgBytes ||
          it.value().get_ref<const std::string&>().find('\0') != std::string::npos) {
        return InvalidArgumentError("expected a string of at most " + std::to_string(kMaxCommandArgBytes) + " bytes" +
                                        ", found " + DescribeJson(it.value()),
                                    at);
      }
    }
    out->env = *env;
  }
  HPS_RETURN_IF_ERROR(r.OptionalDouble("stop_grace_seconds", &out->stop_grace_seconds));
  if (!(out->stop_grace_seconds >= 0 && out->stop_grace_seconds <= kMaxStopGraceSeconds)) {
    return r.Error("stop_grace_seconds", "expected a number of seconds in [0, 3600], found " +
                                             DumpJson(out->stop_grace_seconds));
  }
  return Status();
}

// Every "${name}" in a command names a parameter of the sweep.
Status CheckCommandMacros(const SweepSpec& spec) {
  const auto& command = spec.program.command;
  for (size_t i = 0; i < command.size(); ++i) {
    const std::string& arg = command[i];
    if (arg == "${args}") continue;
    for (size_t at = arg.find("${"); at != std::string::npos; at = arg.find("${", at + 2)) {
      const size_t end = arg.find('}', at);
      const std::string where = "/program/command/" + std::to_string(i);
      if (end == std::string::npos) {
        return InvalidArgumentError("unterminated \"${\" (write ${name} for a parameter's value)",
                                    where);
      }
      const std::string name = arg.substr(at + 2, end - at - 2);
      if (FindParameter(spec, name) == nullptr) {
        std::string known;
        for (const auto& p : spec.parameters) known += (known.empty() ? "" : ", ") + p.name;
        return InvalidArgumentError("\"${" + QuoteForMessage(name, 60) +
                                        "}\" is not a parameter of the sweep (parameters: " +
                                        known + "; or \"${args}\" for all of them)",
                                    where);
      }
    }
  }
  return Status();
}

}  // namespace hpsweep::proto
