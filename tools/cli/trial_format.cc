// How the CLI prints sweeps and trials (trial_format.h).
#include "tools/cli/trial_format.h"

#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "tools/cli/lineage.h"
#include "tools/cli/report.h"

namespace hpsweep::cli {
namespace {

using proto::Json;

std::string FormatValue(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    std::ostringstream s;
    s << std::setprecision(6) << v.get<double>();
    return s.str();
  }
  return v.dump();
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out += c;
  }
  return out + "\"";
}

}  // namespace

std::string FormatNumber(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

void PrintStatus(const proto::Sweep& s, std::ostream& out) {
  out << "sweep " << s.id << " \"" << s.spec.name << "\"  " << proto::SweepStateName(s.state)
      << "  method=" << proto::MethodName(s.spec.method) << "\n"
      << "  metric " << s.spec.metric.name << " (" << proto::GoalName(s.spec.metric.goal) << ")\n"
      << "  trials: " << s.counters.created << " created of " << s.spec.max_trials << "; "
      << s.counters.completed << " completed, " << s.counters.running << " running, "
      << s.counters.pending << " pending, " << s.counters.failed << " failed, "
      << s.counters.pruned << " pruned, " << s.counters.cancelled << " cancelled\n";
  if (!s.spec.early_terminate.is_null()) {
    out << "  early_terminate " << proto::DumpJson(s.spec.early_terminate) << "\n";
  }
  if (s.best_trial_id != 0 && s.best_value) {
    out << "  best: trial " << s.best_trial_id << " " << s.spec.metric.name << "="
        << FormatNumber(*s.best_value) << "\n";
  }
  if (!s.reason.empty()) out << "  reason: " << s.reason << "\n";
  if (s.last_failed_trial_id != 0) {
    out << "  last failure: trial " << s.last_failed_trial_id << ": "
        << OneLine(s.last_failure, 300) << "\n";
  }
}

// "model:gp", "initial_design:tpe", "fallback", "random", "-" (unknown).
std::string OriginLabel(const proto::TrialOrigin& o) {
  if (o.source.empty()) return "-";
  if (o.model.empty() || o.source == "fallback") return o.source;
  return o.source + ":" + o.model;
}

std::string TrialsTable(const std::vector<proto::Trial>& trials) {
  bool any_error = false;
  for (const auto& t : trials) any_error = any_error || !t.error.empty();
  std::ostringstream out;
  out << std::left << std::setw(8) << "ID" << std::setw(11) << "STATE" << std::setw(14)
      << "OBJECTIVE" << std::setw(20) << "ORIGIN" << "PARAMETERS" << (any_error ? "  ERROR" : "")
      << "\n";
  for (const auto& t : trials) {
    std::string params;
    for (auto it = t.params.begin(); it != t.params.end(); ++it) {
      if (!params.empty()) params += " ";
      params += it.key() + "=" + FormatValue(it.value());
    }
    out << std::left << std::setw(8) << t.id << std::setw(11) << proto::TrialStateName(t.state)
        << std::setw(14) << (t.objective ? FormatNumber(*t.objective) : "-") << std::setw(20)
        << OriginLabel(t.origin) << params;
    if (!t.error.empty()) out << "  " << OneLine(t.error, 160);
    out << "\n";
    if (t.prune) out << "        pruned at step " << t.prune->step << ": " << t.prune->reason << "\n";
    if (t.parent) out << "        " << LineageLine(t) << "\n";
  }
  return out.str();
}

std::string PrunedSummary(const std::vector<proto::Trial>& trials) {
  // Grouped by what stopped them: a rung of ASHA or Hyperband (rung >= 0),
  // the median rule, or PBT's exploit (rung -1; PBT's reasons start "pbt:").
  enum Kind { kRung, kMedian, kPbt };
  std::map<std::pair<Kind, int64_t>, int64_t> groups;
  const proto::Trial* last = nullptr;
  int64_t total = 0;
  for (const auto& t : trials) {
    if (!t.prune) continue;
    ++total;
    const Kind kind = t.prune->rung >= 0                      ? kRung
                      : t.prune->reason.rfind("pbt:", 0) == 0 ? kPbt
                                                              : kMedian;
    ++groups[{kind, t.prune->rung}];
    if (!last || t.updated_us >= last->updated_us) last = &t;
  }
  if (total == 0) return "";
  std::ostringstream out;
  out << "pruned " << total << (total == 1 ? " trial" : " trials");
  std::string sep = ": ";
  for (const auto& [key, n] : groups) {
    const auto& [kind, rung] = key;
    out << sep << n
        << (kind == kRung  ? " at rung " + std::to_string(rung)
            : kind == kPbt ? " exploited by PBT"
                           : " by the median rule");
    sep = ", ";
  }
  out << "\n  latest, trial " << last->id << " at step " << last->prune->step << ": "
      << last->prune->reason << "\n";
  return out.str();
}

std::string TrialsCsv(const std::vector<proto::Trial>& trials) {
  std::set<std::string> params, values;
  for (const auto& t : trials) {
    for (auto it = t.params.begin(); it != t.params.end(); ++it) params.insert(it.key());
    for (const auto& [k, v] : t.final_values) values.insert(k);
  }
  std::ostringstream out;
  out << "trial_id,number,state,objective,attempt,origin,origin_model,prune_step,prune_rung,"
         "prune_reason";
  const bool lineage = AnyLineage(trials);  // PBT children (lineage.h)
  if (lineage) out << "," << kLineageCsvHeader;
  for (const auto& p : params) out << "," << CsvField("param." + p);
  for (const auto& v : values) out << "," << CsvField("value." + v);
  out << ",error\n";
  for (const auto& t : trials) {
    out << t.id << "," << t.number << "," << proto::TrialStateName(t.state) << ","
        << (t.objective ? FormatNumber(*t.objective) : "") << "," << t.attempt << ","
        << CsvField(t.origin.source) << "," << CsvField(t.origin.model) << ",";
    if (t.prune) {
      out << t.prune->step << "," << t.prune->rung << "," << CsvField(t.prune->reason);
    } else {
      out << ",,";
    }
    if (lineage) {
      for (const std::string& f : LineageCsvFields(t)) out << "," << CsvField(f);
    }
    for (const auto& p : params) {
      out << "," << (t.params.contains(p) ? CsvField(FormatValue(t.params[p])) : "");
    }
    for (const auto& v : values) {
      auto it = t.final_values.find(v);
      out << "," << (it == t.final_values.end() ? "" : FormatNumber(it->second));
    }
    out << "," << CsvField(t.error) << "\n";
  }
  return out.str();
}

}  // namespace hpsweep::cli
