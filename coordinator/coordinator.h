// Coordinator: the composition root of the coordinator process. It owns, in
// dependency order, the store, the sweep service, the group committer, the
// API and the HTTP server, plus the threads that run them, and stops them in
// reverse order.
//
// Data directory layout:
//   DIR/db/        RocksDB (sweeps, trials, metrics, checkpoints, events, meta)
//   DIR/token      the API bearer token, mode 0600, generated on first start
//   DIR/endpoint   "http://HOST:PORT" of the running coordinator (for the CLI)
//
// Thread safety: Start, Wait and Stop may be called from any thread.
#ifndef HPSWEEP_COORDINATOR_COORDINATOR_H_
#define HPSWEEP_COORDINATOR_COORDINATOR_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "coordinator/api.h"
#include "coordinator/group_committer.h"
#include "coordinator/http_server.h"
#include "coordinator/metrics.h"
#include "coordinator/store.h"
#include "coordinator/sweep_service.h"

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
  SweepServiceOptions service;
  RocksStoreOptions store;
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

 private:
  void ScheduleLeaseScan();
  Status LoadOrCreateToken();

  CoordinatorOptions options_;
  Clock* clock_;
  std::string token_;
  boost::asio::io_context ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> service_strand_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SweepService> service_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<boost::asio::thread_pool> blocking_;
  // Slow searchers' fits (bayes, tpe), one at a time, off the network thread.
  std::unique_ptr<boost::asio::thread_pool> suggest_pool_;
  Metrics metrics_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<boost::asio::steady_timer> lease_timer_;
  std::thread io_thread_;
  std::mutex stop_mu_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
  bool started_ = false;
};

// Generates a random 32-byte token, hex encoded, from /dev/urandom.
StatusOr<std::string> GenerateToken();

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_COORDINATOR_H_
