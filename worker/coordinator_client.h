// CoordinatorClient: the coordinator as a gang leader sees it — the lease
// calls of the worker protocol (ask, heartbeat, report, checkpoint, complete,
// fail, release) — separate from the transport so that a gang can be tested
// without HTTP. HttpCoordinatorClient is the production implementation over
// proto::CoordinatorClient; worker/fake_coordinator.h is the in-memory one.
//
// Errors follow common/status.h: UNAVAILABLE when the coordinator cannot be
// reached (retry), ABORTED when the lease was lost to another client,
// UNAUTHENTICATED for a bad token, and so on.
//
// Thread safety: one object is used by one thread at a time; NewConnection
// gives another thread (the heartbeat thread) its own.
#ifndef HPSWEEP_WORKER_COORDINATOR_CLIENT_H_
#define HPSWEEP_WORKER_COORDINATOR_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "common/status.h"
#include "proto/api_client.h"
#include "proto/messages.h"

namespace hpsweep::worker {

class CoordinatorClient {
 public:
  virtual ~CoordinatorClient() = default;

  virtual StatusOr<proto::AskResponse> Ask(const proto::AskRequest& request) = 0;
  virtual StatusOr<proto::Decision> Heartbeat(uint64_t trial_id, const std::string& client_id) = 0;
  virtual StatusOr<proto::Decision> Report(uint64_t trial_id,
                                           const proto::ReportRequest& request) = 0;
  virtual StatusOr<proto::Trial> Complete(uint64_t trial_id,
                                          const proto::CompleteRequest& request) = 0;
  virtual StatusOr<proto::Trial> Fail(uint64_t trial_id, const proto::FailRequest& request) = 0;
  // Gives a leased trial back without waiting for its lease to run out.
  virtual StatusOr<proto::Trial> Release(uint64_t trial_id, const std::string& client_id) = 0;
  virtual Status UploadCheckpoint(uint64_t trial_id, int64_t step, const std::string& client_id,
                                  const std::string& bytes) = 0;
  // step -1: the latest. Returns (step, bytes).
  virtual StatusOr<std::pair<int64_t, std::string>> DownloadCheckpoint(uint64_t trial_id,
                                                                       int64_t step) = 0;

  // Another client of the same coordinator, for another thread.
  virtual StatusOr<std::unique_ptr<CoordinatorClient>> NewConnection() const = 0;
  // Where the coordinator is, for messages ("http://10.0.0.5:8470").
  virtual std::string address() const = 0;
};

// The coordinator over HTTP/JSON.
class HttpCoordinatorClient final : public CoordinatorClient {
 public:
  // UNAVAILABLE or INVALID_ARGUMENT when `connection` cannot be used.
  static StatusOr<std::unique_ptr<CoordinatorClient>> Create(const proto::Connection& connection);

  StatusOr<proto::AskResponse> Ask(const proto::AskRequest& request) override {
    return http_->Ask(request);
  }
  StatusOr<proto::Decision> Heartbeat(uint64_t trial_id, const std::string& client_id) override {
    return http_->Heartbeat(trial_id, client_id);
  }
  StatusOr<proto::Decision> Report(uint64_t trial_id,
                                   const proto::ReportRequest& request) override {
    return http_->Report(trial_id, request);
  }
  StatusOr<proto::Trial> Complete(uint64_t trial_id,
                                  const proto::CompleteRequest& request) override {
    return http_->Complete(trial_id, request);
  }
  StatusOr<proto::Trial> Fail(uint64_t trial_id, const proto::FailRequest& request) override {
    return http_->Fail(trial_id, request);
  }
  StatusOr<proto::Trial> Release(uint64_t trial_id, const std::string& client_id) override {
    return http_->Release(trial_id, client_id);
  }
  Status UploadCheckpoint(uint64_t trial_id, int64_t step, const std::string& client_id,
                          const std::string& bytes) override {
    return http_->UploadCheckpoint(trial_id, step, client_id, bytes);
  }
  StatusOr<std::pair<int64_t, std::string>> DownloadCheckpoint(uint64_t trial_id,
                                                               int64_t step) override {
    return http_->DownloadCheckpoint(trial_id, step);
  }
  StatusOr<std::unique_ptr<CoordinatorClient>> NewConnection() const override {
    return Create(connection_);
  }
  std::string address() const override { return http_->url(); }

 private:
  HttpCoordinatorClient(proto::Connection connection,
                        std::unique_ptr<proto::CoordinatorClient> http)
      : connection_(std::move(connection)), http_(std::move(http)) {}

  proto::Connection connection_;
  std::unique_ptr<proto::CoordinatorClient> http_;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_COORDINATOR_CLIENT_H_
