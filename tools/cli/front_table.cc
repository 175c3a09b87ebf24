#include "tools/cli/front_table.h"

#include <algorithm>
#include <iomanip>
#include <set>
#include <sstream>

namespace hpsweep::cli {
namespace {

std::string Number(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

std::string Param(const proto::Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return Number(v.get<double>());
  return v.dump();
}

}  // namespace

std::string FrontTable(const proto::SweepSpec& spec, const std::vector<proto::Trial>& front) {
  const std::vector<proto::MetricSpec> objectives = proto::Objectives(spec);
  std::ostringstream out;
  out << "pareto front (" << front.size() << " trial" << (front.size() == 1 ? "" : "s") << "; ";
  for (size_t k = 0; k < objectives.size(); ++k) {
    out << (k ? ", " : "") << objectives[k].name << " " << proto::GoalName(objectives[k].goal);
  }
  for (const proto::ConstraintSpec& c : spec.constraints) {
    out << "; " << c.metric << " " << proto::ConstraintOpName(c.op) << " " << Number(c.bound);
  }
  out << ")\n";
  if (front.empty()) {
    out << "no feasible completed trial yet\n";
    return out.str();
  }
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const auto& m : objectives) {
    if (seen.insert(m.name).second) columns.push_back(m.name);
  }
  for (const auto& c : spec.constraints) {
    if (seen.insert(c.metric).second) columns.push_back(c.metric);
  }
  std::vector<size_t> widths;
  for (const std::string& c : columns) widths.push_back(std::max<size_t>(c.size() + 2, 14));
  std::vector<proto::Trial> rows = front;
  const proto::MetricSpec first = objectives[0];
  auto value = [](const proto::Trial& t, const std::string& name) {
    auto it = t.final_values.find(name);
    return it == t.final_values.end() ? std::optional<double>() : std::optional<double>(it->second);
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const proto::Trial& a, const proto::Trial& b) {
    const double va = value(a, first.name).value_or(0), vb = value(b, first.name).value_or(0);
    return first.goal == proto::Goal::kMaximize ? va > vb : va < vb;
  });
  out << std::left << std::setw(8) << "ID";
  for (size_t i = 0; i < columns.size(); ++i) out << std::setw(widths[i]) << columns[i];
  out << "PARAMETERS\n";
  for (const proto::Trial& t : rows) {
    out << std::setw(8) << t.id;
    for (size_t i = 0; i < columns.size(); ++i) {
      const auto v = value(t, columns[i]);
      out << std::setw(widths[i]) << (v ? Number(*v) : "-");
    }
    std::string params;
    for (auto it = t.params.begin(); it != t.params.end(); ++it) {
      if (!params.empty()) params += " ";
      params += it.key() + "=" + Param(it.value());
    }
    out << params << "\n";
  }
  return out.str();
}

}  // namespace hpsweep::cli
