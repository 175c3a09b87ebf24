#include "tools/cli/report.h"

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>

#include "common/utf8.h"

namespace hpsweep::cli {

std::vector<proto::Trial> BestTrials(std::vector<proto::Trial> trials, const proto::SweepSpec& spec,
                                     size_t n) {
  trials.erase(std::remove_if(trials.begin(), trials.end(),
                              [](const proto::Trial& t) {
                                return t.state != proto::TrialState::kCompleted || !t.objective;
                              }),
               trials.end());
  const bool maximize = spec.metric.goal == proto::Goal::kMaximize;
  std::stable_sort(trials.begin(), trials.end(), [&](const proto::Trial& a, const proto::Trial& b) {
    return maximize ? *a.objective > *b.objective : *a.objective < *b.objective;
  });
  if (trials.size() > n) trials.resize(n);
  return trials;
}

std::string FailureKey(const std::string& error) {
  std::string key;
  bool in_number = false;
  for (char c : error) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (!in_number) key += '#';
      in_number = true;
    } else {
      key += c;
      in_number = false;
    }
  }
  return key;
}

std::string OneLine(const std::string& text, size_t width) {
  std::string flat = text;
  for (char& c : flat) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  // Error texts come from scripts and clients: any other control character
  // (an escape sequence would rewrite the user's terminal) is shown escaped,
  // and only then cut to `width`.
  const std::string shown = QuoteForMessage(flat, std::numeric_limits<size_t>::max());
  if (shown.size() <= width) return shown;
  return std::string(TruncateUtf8(shown, width > 3 ? width - 3 : width)) + "...";
}

std::string FailureSummary(const std::vector<proto::Trial>& trials, size_t width) {
  struct Group {
    int64_t count = 0;
    const proto::Trial* example = nullptr;
  };
  std::map<std::string, Group> groups;
  int64_t failed = 0;
  for (const proto::Trial& t : trials) {
    if (t.state != proto::TrialState::kFailed) continue;
    ++failed;
    Group& g = groups[FailureKey(t.error)];
    ++g.count;
    if (g.example == nullptr) g.example = &t;
  }
  if (failed == 0) return "";
  std::vector<const Group*> order;
  for (const auto& [key, g] : groups) order.push_back(&g);
  std::stable_sort(order.begin(), order.end(),
                   [](const Group* a, const Group* b) { return a->count > b->count; });
  std::ostringstream out;
  out << "failures by reason (" << failed << " failed):\n";
  for (const Group* g : order) {
    const std::string& error = g->example->error;
    out << "  " << g->count << " x  "
        << (error.empty() ? "(no error recorded)" : OneLine(error, width)) << "  (e.g. trial "
        << g->example->id << ")\n";
  }
  return out.str();
}

namespace {
std::string Number(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}
}  // namespace

std::string MetricsTable(const std::vector<proto::MetricPoint>& points) {
  std::set<std::string> names;
  for (const auto& p : points) {
    for (const auto& [name, v] : p.values) names.insert(name);
  }
  std::vector<size_t> widths;
  for (const auto& n : names) widths.push_back(std::max<size_t>(n.size(), 12) + 2);
  std::ostringstream out;
  out << std::left << std::setw(10) << "STEP";
  size_t i = 0;
  for (const auto& n : names) out << std::setw(static_cast<int>(widths[i++])) << n;
  out << "\n";
  for (const auto& p : points) {
    out << std::left << std::setw(10) << p.step;
    i = 0;
    for (const auto& n : names) {
      auto it = p.values.find(n);
      out << std::setw(static_cast<int>(widths[i++]))
          << (it == p.values.end() ? "-" : Number(it->second));
    }
    out << "\n";
  }
  return out.str();
}

std::string MetricsCsvLong(const std::map<uint64_t, std::vector<proto::MetricPoint>>& curves) {
  std::ostringstream out;
  out << "trial_id,step,metric,value,time_us\n";
  for (const auto& [trial, points] : curves) {
    for (const auto& p : points) {
      for (const auto& [name, v] : p.values) {
        std::string field = name;
        if (field.find_first_of(",\"\n") != std::string::npos) {
          std::string quoted = "\"";
          for (char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
          field = quoted + "\"";
        }
        out << trial << "," << p.step << "," << field << "," << Number(v) << "," << p.time_us
            << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace hpsweep::cli
