// ResultSource: where the CLI's reading commands (list, status, trials, best,
// export, metrics, checkpoint get, logs) get their answers — a running
// coordinator over HTTP, or, with `--data-dir DIR` and no coordinator running
// on DIR, DIR's store opened read-only, so a stopped sweep's results are read
// without starting a server.
//
// Choosing (OpenResultSource): --url or $HPSWEEP_URL: HTTP. Otherwise the data
// directory (--data-dir, else $HPSWEEP_DATA_DIR) must exist; when a
// coordinator holds its store's lock (a running `hpsweep-coordinator` or
// `hpsweep run`), its endpoint file is used over HTTP; when none does, the
// store is opened read-only (RocksDB's read-only open takes no lock and
// writes nothing, so it is safe even beside a coordinator that starts later;
// it sees what was written when it opened).
//
// Thread safety: one thread at a time.
#ifndef HPSWEEP_TOOLS_CLI_RESULTS_H_
#define HPSWEEP_TOOLS_CLI_RESULTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "proto/messages.h"

namespace hpsweep::cli {

class ResultSource {
 public:
  virtual ~ResultSource() = default;
  virtual StatusOr<std::vector<proto::Sweep>> ListSweeps() = 0;
  virtual StatusOr<proto::Sweep> GetSweep(uint64_t sweep_id) = 0;
  // Every trial of the sweep in id order; only those in `state` when given.
  virtual StatusOr<std::vector<proto::Trial>> Trials(uint64_t sweep_id,
                                                     const std::string& state = "") = 0;
  virtual StatusOr<proto::Trial> GetTrial(uint64_t trial_id) = 0;
  // The trial's metric points in step order.
  virtual StatusOr<std::vector<proto::MetricPoint>> Metrics(uint64_t trial_id) = 0;
  // (step, bytes) of the checkpoint at `step`, or the latest for step < 0.
  virtual StatusOr<std::pair<int64_t, std::string>> Checkpoint(uint64_t trial_id,
                                                               int64_t step) = 0;
  // "" for a coordinator; "read-only from DIR" for a store.
  virtual std::string Describe() const = 0;
};

// See the file comment. NOT_FOUND naming the directory when it does not
// exist or holds no hpsweep data; the store's error when it cannot be read.
StatusOr<std::unique_ptr<ResultSource>> OpenResultSource(const std::string& url,
                                                         const std::string& token,
                                                         const std::string& data_dir,
                                                         const std::string& token_file);

// The store of `data_dir` (DIR/db) opened read-only.
StatusOr<std::unique_ptr<ResultSource>> OpenStoreResultSource(const std::string& data_dir);

// Whether another process holds the lock of `data_dir`'s store (a running
// coordinator).
bool StoreLockHeld(const std::string& data_dir);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_RESULTS_H_
