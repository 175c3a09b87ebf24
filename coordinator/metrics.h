// Metrics: counters, gauges and latency histograms rendered in Prometheus text
// format for /metrics.
//
// Thread safety: thread-safe.
#ifndef HPSWEEP_COORDINATOR_METRICS_H_
#define HPSWEEP_COORDINATOR_METRICS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace hpsweep::coordinator {

class Metrics {
 public:
  // Counts one request of `route` answered with `status`, taking `seconds` of
  // server time (headers read to reply handed to the transport).
  void ObserveRequest(const std::string& route, int status, double seconds);
  // Adds `by` to the counter hpsweep_<name>_total.
  void Increment(const std::string& name, int64_t by = 1);
  int64_t Counter(const std::string& name) const;
  // A value kept elsewhere, read at every Render: `type` is "gauge" or
  // "counter" (then `name` ends in _total). `value` must stay callable
  // while Render may run.
  void AddCallback(std::string name, std::string type, std::string help,
                   std::function<double()> value);
  // Prometheus text for everything recorded; `extra` is appended verbatim.
  std::string Render(const std::string& extra) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.5,    2.5};
  struct Histogram {
    std::array<int64_t, kBuckets.size()> counts{};
    int64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, int64_t> counters_;
  struct Callback {
    std::string name, type, help;
    std::function<double()> value;
  };
  std::vector<Callback> callbacks_;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_METRICS_H_
