// store_bench: synced commit throughput of the RocksDB store for 1, 4 and 16
// concurrent committers (group commit shares one WAL fsync among the
// writers waiting at that moment), and checkpoint streaming throughput.
//
//   bazel run //coordinator/store:store_bench -- [--dir DIR] [--seconds S]
//
// Each commit is what a trial report costs the coordinator: one trial upsert,
// one metric point, one event. Prints one line per configuration, then one
// JSON object with every figure. A benchmark, not a test: figures depend on
// the disk.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "coordinator/store/rocks_store.h"
#include "coordinator/store/store.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {
namespace {

WriteSet ReportWrite(uint64_t trial_id, int64_t step, uint64_t seq) {
  WriteSet w;
  proto::Trial t;
  t.id = trial_id;
  t.sweep_id = 1;
  t.number = trial_id;
  t.params = {{"lr", 0.01}, {"width", 128}};
  t.state = proto::TrialState::kRunning;
  t.lease_owner = "worker-" + std::to_string(trial_id % 16);
  t.last_step = step;
  w.trials.push_back(std::move(t));
  proto::MetricPoint p;
  p.step = step;
  p.values = {{"loss", 1.0 / static_cast<double>(step + 1)}, {"acc", 0.5}};
  w.metrics.push_back({trial_id, std::move(p)});
  proto::Event e;
  e.seq = seq;
  e.type = "trial_reported";
  e.sweep_id = 1;
  e.trial_id = trial_id;
  w.events.push_back(std::move(e));
  return w;
}

struct Figure {
  int threads;
  double commits_per_s;
};

// REQUIRES: seconds > 0.
StatusOr<Figure> MeasureCommits(Store* store, int threads, double seconds, std::atomic<uint64_t>* seq) {
  RealClock clock;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> commits{0};
  std::atomic<bool> failed{false};
  Status first_error;
  std::mutex error_mu;
  std::vector<std::thread> workers;
  int64_t start = clock.MonotonicMicros();
  for (int th = 0; th < threads; ++th) {
    workers.emplace_back([&, th] {
      uint64_t trial = static_cast<uint64_t>(th) + 1;
      for (int64_t step = 0; !stop.load(std::memory_order_relaxed); ++step) {
        Status s = store->Commit(ReportWrite(trial, step, seq->fetch_add(1) + 1));
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(error_mu);
          if (!failed.exchange(true)) first_error = s;
          return;
        }
        commits.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
  stop.store(true);
  for (auto& w : workers) w.join();
  double elapsed = static_cast<double>(clock.MonotonicMicros() - start) / 1e6;
  if (failed.load()) return first_error;
  return Figure{threads, static_cast<double>(commits.load()) / elapsed};
}

// MiB/s writing (Finish included) and reading one checkpoint of `mib` MiB.
Status MeasureCheckpoint(Store* store, int mib, double* write_mib_s, double* read_mib_s) {
  RealClock clock;
  std::string block(1 << 20, 'x');
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 7919 % 251);
  int64_t start = clock.MonotonicMicros();
  HPS_ASSIGN_OR_RETURN(auto writer, store->BeginCheckpoint(1, 1));
  for (int i = 0; i < mib; ++i) HPS_RETURN_IF_ERROR(writer->Append(block));
  HPS_RETURN_IF_ERROR(writer->Finish().status());
  *write_mib_s = mib / (static_cast<double>(clock.MonotonicMicros() - start) / 1e6);
  start = clock.MonotonicMicros();
  HPS_ASSIGN_OR_RETURN(auto reader, store->OpenCheckpoint(1, -1));
  std::string chunk;
  uint64_t total = 0;
  while (true) {
    HPS_ASSIGN_OR_RETURN(bool more, reader->Next(&chunk));
    if (!more) break;
    total += chunk.size();
  }
  if (total != static_cast<uint64_t>(mib) << 20) return InternalError("checkpoint read back short");
  *read_mib_s = mib / (static_cast<double>(clock.MonotonicMicros() - start) / 1e6);
  return Status::Ok();
}

int Main(int argc, char** argv) {
  std::string dir;
  double seconds = 2;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: store_bench [--dir DIR] [--seconds S]\n");
      return 2;
    }
  }
  if (seconds <= 0) seconds = 2;
  bool remove_dir = false;
  if (dir.empty()) {
    char tmpl[] = "/tmp/hpsweep_store_bench_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
    remove_dir = true;
  }
  std::printf("store_bench: RocksDB store in %s, synced commits, %.1f s per figure\n", dir.c_str(),
              seconds);
  std::string json = "{\"dir\":\"" + dir + "\"";
  {
    auto store = OpenRocksStore(dir);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    std::atomic<uint64_t> seq{0};
    for (int threads : {1, 4, 16}) {
      auto figure = MeasureCommits(store->get(), threads, seconds, &seq);
      if (!figure.ok()) {
        std::fprintf(stderr, "%s\n", figure.status().ToString().c_str());
        return 1;
      }
      std::printf("  %2d thread(s): %9.0f commits/s\n", threads, figure->commits_per_s);
      json += ",\"commits_per_s_" + std::to_string(threads) + "\":" +
              std::to_string(static_cast<int64_t>(figure->commits_per_s));
    }
    double write_mib_s = 0, read_mib_s = 0;
    Status s = MeasureCheckpoint(store->get(), 256, &write_mib_s, &read_mib_s);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("  checkpoint 256 MiB: write %.0f MiB/s, read %.0f MiB/s\n", write_mib_s, read_mib_s);
    json += ",\"checkpoint_write_mib_s\":" + std::to_string(static_cast<int64_t>(write_mib_s)) +
            ",\"checkpoint_read_mib_s\":" + std::to_string(static_cast<int64_t>(read_mib_s)) + "}";
  }
  std::printf("%s\n", json.c_str());
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}

}  // namespace
}  // namespace hpsweep::coordinator

int main(int argc, char** argv) { return hpsweep::coordinator::Main(argc, argv); }
