// ApiStack: one coordinator in memory, composed as coordinator.cc composes it
// (fake clock, in-memory store, sweep service, service strand, group
// committer, blocking pool, Api), for the tests and fuzz targets that drive
// the Api without sockets.
//
// Thread safety: Send may be called from one thread at a time; the stack's
// own io thread runs the strand.
#ifndef HPSWEEP_COORDINATOR_HTTP_API_STACK_H_
#define HPSWEEP_COORDINATOR_HTTP_API_STACK_H_

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/clock.h"
#include "coordinator/http/api.h"
#include "coordinator/store/group_committer.h"
#include "coordinator/http/http_request.h"
#include "coordinator/metrics.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_service.h"

namespace hpsweep::coordinator {

class ApiStack {
 public:
  // `checkpoint_chunk_bytes` sizes the memory store's checkpoint chunks;
  // `on_commit_failure` is the committer's failure callback.
  ApiStack(ApiOptions options, size_t checkpoint_chunk_bytes,
           std::function<void(const Status&)> on_commit_failure);
  ~ApiStack();
  ApiStack(const ApiStack&) = delete;
  ApiStack& operator=(const ApiStack&) = delete;

  // Recovers the service from the store and starts the io thread.
  Status Start();

  // Sends `request` (method, target and headers set; the target not yet
  // decoded) with `body` as the transport would: target decoding, then
  // OnHeaders, then the body whole or streamed; waits for the reply.
  HttpResponse Send(HttpRequest request, const std::string& body);
  // The same for a request of `method` to `target`, with "Authorization:
  // Bearer <token>" unless `token` is empty.
  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body, const std::string& token);

  FakeClock& clock() { return clock_; }
  Store& store() { return *store_; }
  SweepService& service() { return service_; }
  GroupCommitter& committer() { return committer_; }
  boost::asio::strand<boost::asio::io_context::executor_type>& strand() { return strand_; }

 private:
  FakeClock clock_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  SweepService service_;
  boost::asio::io_context ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  GroupCommitter committer_;
  boost::asio::thread_pool blocking_;
  Api api_;
  std::thread io_thread_;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_API_STACK_H_
