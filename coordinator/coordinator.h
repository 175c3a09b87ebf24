// Coordinator: the composition root of the coordinator process. It owns, in
// dependency order, the store, the sweep service, the group committer, the
// API and the HTTP server, plus the threads that run them, and stops them in
// reverse order.
//
// Data directory layout, private to the coordinator's user (the directory
// 0700, files 0600: Start sets the process umask to 077 and tightens what an
// earlier version left open, with a warning):
//   DIR/db/        RocksDB (sweeps, trials, metrics, checkpoints, events, meta)
//   DIR/token      the API bearer token, generated on first start
//   DIR/endpoint   "http://HOST:PORT" of the running coordinator (for the CLI)
//
// Storage failures (disk full, I/O errors) do not stop the coordinator:
//
//   serving ──commit fails──▶ degraded: mutating requests get 503 "storage
//      ▲                      unavailable: <reason>", reads are served; the
//      │                      in-memory state is rebuilt from the store (it
//      │                      was ahead of it), then a test write is retried
//      │                      every storage_probe_interval
//      └──test write succeeds; state rebuilt from the store again; writes resume
//
// When the store cannot be opened read-write at Start because of an I/O error
// (the disk is full), it is opened read-only and the coordinator serves reads
// in degraded mode until it is restarted with working storage.
//
// Thread safety: Start, Wait and Stop may be called from any thread.
#ifndef HPSWEEP_COORDINATOR_COORDINATOR_H_
#define HPSWEEP_COORDINATOR_COORDINATOR_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/status.h"
#include "coordinator/http/api.h"
#include "coordinator/http/event_hub.h"
#include "coordinator/store/group_committer.h"
#include "coordinator/http/http_server.h"
#include "coordinator/metrics.h"
#include "coordinator/store/rocks_store.h"
#include "coordinator/store/storage_health.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_service.h"

namespace hpsweep::coordinator {

struct CoordinatorOptions {
  // Where the database, token and endpoint file live. Required.
  std::string data_dir;
  // Default: 127.0.0.1 and 8470 (0: a free port).
  HttpServerOptions http;
  // API token. Empty: read DIR/token, or generate it there on first start.
  std::string token;
  // How often expired leases, and asks waiting past their sweep's wait bound,
  // are looked for. Default: 250 ms.
  std::chrono::milliseconds lease_scan_interval{250};
  // Threads for blocking store reads and checkpoint I/O. Default: 2.
  int blocking_threads = 2;
  // How often a coordinator degraded by a storage failure tries a test
  // write. Default: 1 s.
  std::chrono::milliseconds storage_probe_interval{1000};
  SweepServiceOptions service;
  RocksStoreOptions store;
  // Reads need the API token too (ApiOptions::token_for_reads). Default: false.
  bool token_for_reads = false;
  // The dashboard's live feed (GET /api/v1/events).
  EventHubOptions events;
  // Checks model programs of new sweeps (the model zoo). Default: none.
  ProgramValidator validator;
  // Builds searchers; default grid/random/sobol. Default: none (built-ins).
  SearcherFactory searcher_factory;
  Status Validate() const;
};

class Coordinator {
 public:
  explicit Coordinator(CoordinatorOptions options, Clock* clock = RealClock::Get());
  ~Coordinator();

  // Opens the store, recovers state, binds the port and starts serving. The
  // errors name what to do: data dir locked by another coordinator, port
  // taken, unreadable data.
  Status Start();
  // Stops accepting, lets requests in flight finish (up to `grace`), commits
  // what is queued and closes the store.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // Blocks until Stop has completed (e.g. from a signal handler thread).
  void Wait();

  uint16_t port() const { return server_ ? server_->port() : 0; }
  std::string url() const;
  const std::string& token() const { return token_; }
  // Whether the store accepts writes (and why not).
  const StorageHealth& storage() const { return storage_; }

 private:
  class TaskGate;
  void ScheduleLeaseScan();
  Status LoadOrCreateToken();
  // Opens the store; read-only (and degraded) when only that works.
  StatusOr<std::unique_ptr<Store>> OpenStore();
  // A service whose background fits go through `gate`.
  std::unique_ptr<SweepService> NewService(const std::shared_ptr<TaskGate>& gate);
  // Called by the committer when a commit fails.
  void OnCommitFailure(const Status& status);
  // probe_thread_: rebuilds from disk and probes until storage works.
  void ProbeLoop();
  // Replaces the service with one recovered from the store, on the service
  // strand; with `resume_writes`, the committer and the API accept writes again
  // in the same step. CANCELLED when the coordinator stops meanwhile.
  Status RebuildService(bool resume_writes);
  // Waits `interval` or until Stop; false when stopping.
  bool ProbeSleep(std::chrono::milliseconds interval);
  void RegisterMetrics();

  CoordinatorOptions options_;
  Clock* clock_;
  std::string token_;
  boost::asio::io_context ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> service_strand_;
  StorageHealth storage_;
  std::unique_ptr<Store> store_;
  // Replaced (on the service strand) when state is rebuilt from the store.
  std::unique_ptr<SweepService> service_;
  std::shared_ptr<TaskGate> service_gate_;  // the service's background fits
  // Fed by the committer; its streams end at Stop, before requests drain.
  std::unique_ptr<EventHub> events_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<boost::asio::thread_pool> blocking_;
  // Slow searchers' fits (bayes, tpe), one at a time, off the network thread.
  std::unique_ptr<boost::asio::thread_pool> suggest_pool_;
  Metrics metrics_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<boost::asio::steady_timer> lease_timer_;
  std::thread io_thread_;
  std::thread probe_thread_;
  std::mutex probe_mu_;
  std::condition_variable probe_cv_;
  bool probe_needed_ = false;  // guarded by probe_mu_
  bool probe_stop_ = false;    // guarded by probe_mu_
  LogRateLimiter probe_log_;
  std::mutex stop_mu_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
  bool started_ = false;
};

// Generates a random 32-byte token, hex encoded, from /dev/urandom.
StatusOr<std::string> GenerateToken();

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_COORDINATOR_H_
