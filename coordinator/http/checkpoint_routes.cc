#include "coordinator/http/checkpoint_routes.h"

#include <boost/asio/post.hpp>
#include <optional>
#include <utility>

#include "common/logging.h"
#include "coordinator/lifecycle/checkpoint_retention.h"

namespace hpsweep::coordinator {
namespace {

namespace net = boost::asio;

class CheckpointSink final : public BodySink, public std::enable_shared_from_this<CheckpointSink> {
 public:
  explicit CheckpointSink(CheckpointUpload upload) : upload_(std::move(upload)) {}

  void Write(std::string chunk, std::function<void(Status)> done) override {
    CheckLeaseThen([self = shared_from_this(), chunk = std::move(chunk), done](Status s) mutable {
      if (!s.ok()) return done(s);
      net::post(*self->upload_.blocking, [self, chunk = std::move(chunk), done] {
        Status st = self->EnsureWriter();
        if (st.ok()) st = self->writer_->Append(chunk);
        done(st);
      });
    });
  }

  void Finish(ReplyCallback reply) override {
    CheckLeaseThen([self = shared_from_this(), reply = std::move(reply)](Status s) mutable {
      if (!s.ok()) return reply(self->upload_.error(s));
      net::post(*self->upload_.blocking, [self, reply = std::move(reply)]() mutable {
        Status st = self->EnsureWriter();
        StatusOr<CheckpointInfo> info =
            st.ok() ? self->writer_->Finish() : StatusOr<CheckpointInfo>(st);
        self->writer_.reset();
        if (!info.ok()) return reply(self->upload_.error(info.status()));
        self->upload_.on_service([self, info = *info, reply = std::move(reply)]() mutable {
          SweepService& service = **self->upload_.service;
          auto trial = service.CheckpointStored(self->upload_.trial_id, info.step);
          if (!trial.ok()) return reply(self->upload_.error(trial.status()));
          // Retention (checkpoint_retention.h): older checkpoints of the trial
          // are freed off the strand; the one just stored is the latest.
          auto sweep = service.GetSweep(trial->response.sweep_id);
          const int64_t keep = sweep.ok() ? sweep->spec.keep_checkpoints : 0;
          if (keep > 0) {
            // Checkpoints PBT children start from stay (pbt.h).
            net::post(*self->upload_.blocking,
                      [store = self->upload_.store, id = self->upload_.trial_id, keep,
                       protect = service.CheckpointsInUse(self->upload_.trial_id)] {
              auto freed = ApplyRetention(*store, id, keep, protect);
              if (!freed.ok()) {
                HPS_LOG(WARNING) << "checkpoint retention of trial " << id << ": "
                                 << freed.status();
              }
            });
          }
          Mutation<proto::CheckpointStored> m;
          m.response = {info.trial_id, info.step, info.size_bytes};
          m.writes = std::move(trial->writes);
          self->upload_.commit(std::move(m), std::move(reply));
        });
      });
    });
  }

  void Abort() override {
    net::post(*upload_.blocking, [self = shared_from_this()] { self->writer_.reset(); });
  }

 private:
  void CheckLeaseThen(std::function<void(Status)> next) {
    upload_.on_service([self = shared_from_this(), next = std::move(next)] {
      next((*self->upload_.service)->CheckCheckpointUpload(self->upload_.trial_id,
                                                           self->upload_.client_id));
    });
  }

  // Runs on the blocking pool.
  Status EnsureWriter() {
    if (writer_) return Status();
    HPS_ASSIGN_OR_RETURN(writer_, upload_.store->BeginCheckpoint(upload_.trial_id, upload_.step));
    return Status();
  }

  const CheckpointUpload upload_;
  std::unique_ptr<CheckpointWriter> writer_;  // touched only on the blocking pool, in order
};

class CheckpointSource final : public BodySource {
 public:
  CheckpointSource(std::unique_ptr<CheckpointReader> reader, net::thread_pool* blocking)
      : reader_(std::move(reader)), blocking_(blocking) {}

  void Next(NextCallback next) override {
    net::post(*blocking_, [this, next = std::move(next)] {
      std::string chunk;
      StatusOr<bool> more = reader_->Next(&chunk);
      if (!more.ok()) return next(more.status());
      if (!*more) return next(std::optional<std::string>());
      next(std::optional<std::string>(std::move(chunk)));
    });
  }

 private:
  std::unique_ptr<CheckpointReader> reader_;
  net::thread_pool* blocking_;
};

}  // namespace

std::shared_ptr<BodySink> NewCheckpointSink(CheckpointUpload upload) {
  return std::make_shared<CheckpointSink>(std::move(upload));
}

std::shared_ptr<BodySource> NewCheckpointSource(std::unique_ptr<CheckpointReader> reader,
                                                net::thread_pool* blocking) {
  return std::make_shared<CheckpointSource>(std::move(reader), blocking);
}

HttpResponse CheckpointDownloadResponse(std::unique_ptr<CheckpointReader> reader,
                                        net::thread_pool* blocking) {
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.headers.emplace_back("X-Checkpoint-Step", std::to_string(reader->info().step));
  r.headers.emplace_back("X-Checkpoint-Size", std::to_string(reader->info().size_bytes));
  r.stream = NewCheckpointSource(std::move(reader), blocking);
  return r;
}

}  // namespace hpsweep::coordinator
