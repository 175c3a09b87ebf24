#include "coordinator/metrics.h"

#include <sstream>

namespace hpsweep::coordinator {

void Metrics::ObserveRequest(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::Increment(const std::string& name, int64_t by) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_[name] += by;
}

void Metrics::AddCallback(std::string name, std::string type, std::string help,
                          std::function<double()> value) {
  std::lock_guard<std::mutex> lock(mu_);
  callbacks_.push_back({std::move(name), std::move(type), std::move(help), std::move(value)});
}

int64_t Metrics::Counter(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counters_.find(name);
  return it == counters_.end() ? 0 : it->second;
}

std::string Metrics::Render(const std::string& extra) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  out << "# HELP hpsweep_http_requests_total HTTP requests by route and status.\n"
      << "# TYPE hpsweep_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out << "hpsweep_http_requests_total{route=\"" << key.first << "\",code=\"" << key.second
        << "\"} " << n << "\n";
  }
  out << "# HELP hpsweep_http_request_duration_seconds Server time per request.\n"
      << "# TYPE hpsweep_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out << "hpsweep_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
          << kBuckets[i] << "\"} " << h.counts[i] << "\n";
    }
    out << "hpsweep_http_request_duration_seconds_bucket{route=\"" << route
        << "\",le=\"+Inf\"} " << h.count << "\n"
        << "hpsweep_http_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum
        << "\n"
        << "hpsweep_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.count
        << "\n";
  }
  for (const auto& [name, n] : counters_) {
    out << "# HELP hpsweep_" << name << "_total Count of " << name << " events.\n"
        << "# TYPE hpsweep_" << name << "_total counter\nhpsweep_" << name << "_total " << n
        << "\n";
  }
  for (const Callback& c : callbacks_) {
    out << "# HELP " << c.name << " " << c.help << "\n# TYPE " << c.name << " " << c.type << "\n"
        << c.name << " " << c.value() << "\n";
  }
  out << extra;
  return out.str();
}

}  // namespace hpsweep::coordinator
