// Checkpoint streaming for the API: an upload (PUT .../checkpoints/{step}) is
// streamed from the socket into the store, and a download (GET) from the
// store to the socket, chunk by chunk, so that a checkpoint is never held whole
// in memory. Store I/O runs on the blocking pool; lease checks and the record
// of a stored checkpoint run on the service strand.
//
// Thread safety: the sink and source follow BodySink's and BodySource's
// contracts (one call at a time, from any thread).
#ifndef HPSWEEP_COORDINATOR_HTTP_CHECKPOINT_ROUTES_H_
#define HPSWEEP_COORDINATOR_HTTP_CHECKPOINT_ROUTES_H_

#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "coordinator/http/http_request.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_service.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

// Where an upload goes, and what it needs from the Api. Everything pointed to
// must outlive the sink.
struct CheckpointUpload {
  uint64_t trial_id = 0;
  int64_t step = 0;
  std::string client_id;  // must hold the trial's lease
  // Runs a function on the service strand.
  std::function<void(std::function<void()>)> on_service;
  // The Api's current service (it is replaced when state is rebuilt from
  // disk); dereferenced on the service strand only.
  SweepService* const* service = nullptr;
  Store* store = nullptr;
  boost::asio::thread_pool* blocking = nullptr;
  // Commits the record of the stored checkpoint, then replies with its body.
  std::function<void(Mutation<proto::CheckpointStored>, ReplyCallback)> commit;
  // The response for an error.
  std::function<HttpResponse(const Status&)> error;
};

// A sink that stores the body as the checkpoint. The lease is checked before
// the first byte is stored, and again before the checkpoint is recorded.
std::shared_ptr<BodySink> NewCheckpointSink(CheckpointUpload upload);

// A source that streams `reader` out, one chunk per read on `blocking`.
std::shared_ptr<BodySource> NewCheckpointSource(std::unique_ptr<CheckpointReader> reader,
                                                boost::asio::thread_pool* blocking);

// The 200 response that streams `reader`, with X-Checkpoint-Step and
// X-Checkpoint-Size headers.
HttpResponse CheckpointDownloadResponse(std::unique_ptr<CheckpointReader> reader,
                                        boost::asio::thread_pool* blocking);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_CHECKPOINT_ROUTES_H_
