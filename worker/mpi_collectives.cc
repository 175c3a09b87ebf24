#include "worker/mpi_collectives.h"

#include <climits>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "worker/shm_allreduce.h"

namespace hpsweep::worker {
namespace {

StatusOr<MPI_Datatype> MpiType(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat: return MPI_FLOAT;
    case torch::kDouble: return MPI_DOUBLE;
    case torch::kInt: return MPI_INT;
    case torch::kLong: return MPI_INT64_T;
    case torch::kByte: return MPI_UINT8_T;
    case torch::kChar: return MPI_INT8_T;
    default:
      return InvalidArgumentError(std::string("MPI collectives do not support dtype ") +
                                  c10::toString(t.scalar_type()));
  }
}

MPI_Op MpiOp(ReduceOp op) { return op == ReduceOp::kMax ? MPI_MAX : MPI_SUM; }

Status CheckTensor(const torch::Tensor& t) {
  if (!t.defined()) return InvalidArgumentError("undefined tensor");
  if (!t.device().is_cpu()) return InvalidArgumentError("MPI collectives need CPU tensors, got " + t.device().str());
  if (!t.is_contiguous()) return InvalidArgumentError("tensor is not contiguous");
  if (t.numel() > INT_MAX) return InvalidArgumentError("tensor has more than INT_MAX elements");
  return Status::Ok();
}

// Applies the part of the reduction that MPI does not do (the division).
Status Finish(torch::Tensor& t, ReduceOp op, int size) {
  if (op != ReduceOp::kAverage || size == 1) return Status::Ok();
  try {
    if (t.is_floating_point()) {
      t.mul_(1.0 / size);
    } else {
      t.div_(size, "trunc");
    }
  } catch (const c10::Error& e) {
    return InternalError(std::string("averaging allreduce result: ") + e.what_without_backtrace());
  }
  return Status::Ok();
}

// dst[i] = op(dst[i], src[i]) (* scale, when scale != 1).
template <typename T>
void ReduceInto(T* dst, const T* src, int64_t n, ReduceOp op, double scale) {
  if (op == ReduceOp::kMax) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i] > dst[i] ? src[i] : dst[i];
  } else if (scale != 1.0) {
    const T s = static_cast<T>(scale);
    for (int64_t i = 0; i < n; ++i) dst[i] = (dst[i] + src[i]) * s;
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
  }
}

}  // namespace

namespace {

// Ring allreduce (reduce-scatter, then allgather) over point-to-point calls:
// each rank sends and receives 2 (P-1)/P of the buffer, and the division of an
// average is folded into the last reduction of the chunk a rank owns, so it
// costs n/P instead of n. Used for large messages by the thread engine.
// Thread safety: one call at a time per object (owns its scratch buffer).
class RingAllreduce {
 public:
  explicit RingAllreduce(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &size_);
  }

  // REQUIRES: floating or integer dtype supported by MpiType; in place.
  Status Run(torch::Tensor& t, MPI_Datatype type, ReduceOp op) {
    switch (t.scalar_type()) {
      case torch::kFloat: return Typed<float>(t, type, op);
      case torch::kDouble: return Typed<double>(t, type, op);
      default: return InvalidArgumentError("ring allreduce supports float and double only");
    }
  }

 private:
  template <typename T>
  Status Typed(torch::Tensor& t, MPI_Datatype type, ReduceOp op) {
    T* data = t.data_ptr<T>();
    const int64_t n = t.numel();
    const int p = size_;
    auto begin = [&](int c) { return n * c / p; };
    auto len = [&](int c) { return begin(c + 1) - begin(c); };
    const int64_t max_chunk = (n + p - 1) / p;
    if (scratch_.size() < static_cast<size_t>(max_chunk * sizeof(T))) {
      scratch_.resize(static_cast<size_t>(max_chunk * sizeof(T)));
    }
    T* tmp = reinterpret_cast<T*>(scratch_.data());
    const int next = (rank_ + 1) % p, prev = (rank_ + p - 1) % p;
    // Reduce-scatter: after step s, chunk (rank - s - 1) holds s + 2 ranks' sum;
    // rank r ends owning chunk (r + 1) % p fully reduced.
    for (int s = 0; s < p - 1; ++s) {
      const int send_c = ((rank_ - s) % p + p) % p;
      const int recv_c = ((rank_ - s - 1) % p + p) % p;
      HPS_RETURN_IF_ERROR(MpiStatus(
          MPI_Sendrecv(data + begin(send_c), static_cast<int>(len(send_c)), type, next, 0, tmp,
                       static_cast<int>(len(recv_c)), type, prev, 0, comm_, MPI_STATUS_IGNORE),
          "MPI_Sendrecv (reduce-scatter)"));
      const double scale = (op == ReduceOp::kAverage && s == p - 2) ? 1.0 / p : 1.0;
      ReduceInto(data + begin(recv_c), tmp, len(recv_c), op, scale);
    }
    // Allgather: pass the owned, fully reduced chunks around the ring.
    for (int s = 0; s < p - 1; ++s) {
      const int send_c = ((rank_ + 1 - s) % p + p) % p;
      const int recv_c = ((rank_ - s) % p + p) % p;
      HPS_RETURN_IF_ERROR(MpiStatus(
          MPI_Sendrecv(data + begin(send_c), static_cast<int>(len(send_c)), type, next, 1,
                       data + begin(recv_c), static_cast<int>(len(recv_c)), type, prev, 1, comm_,
                       MPI_STATUS_IGNORE),
          "MPI_Sendrecv (allgather)"));
    }
    return Status::Ok();
  }

  const MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  std::vector<char> scratch_;
};

}  // namespace

Status MpiStatus(int mpi_code, const char* what) {
  if (mpi_code == MPI_SUCCESS) return Status::Ok();
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(mpi_code, text, &len) != MPI_SUCCESS) len = 0;
  // A peer lost or a transport failure: the gang must be rebuilt by the caller.
  return UnavailableError(std::string(what) + " failed: " + std::string(text, len) + " (MPI code " +
                          std::to_string(mpi_code) + ")");
}

Status MpiCollectivesOptions::Validate() const {
  if (color < 0) return InvalidArgumentError("color must be >= 0, got " + std::to_string(color), "/color");
  if (shm_chunk_bytes < 4096) {
    return InvalidArgumentError("shm_chunk_bytes must be >= 4096", "/shm_chunk_bytes");
  }
  return Status::Ok();
}

// One allreduce in flight, shared by the engine and the caller's handle.
struct Job {
  torch::Tensor tensor;
  ReduceOp op = ReduceOp::kSum;
  MPI_Request request = MPI_REQUEST_NULL;  // kNonBlocking only
  bool done = false;
  Status status;
};

// Runs allreduces in start order. Thread safety: Start/Wait/Drain/Poll from the
// owner's thread only.
class MpiCollectives::Engine {
 public:
  virtual ~Engine() = default;
  virtual void Start(const std::shared_ptr<Job>& job) = 0;
  virtual Status Wait(Job& job) = 0;
  virtual Status Drain() = 0;
  virtual void Poll() {}
  // REQUIRES: nothing in flight (after Drain). Runs the job on the caller.
  virtual void RunInline(Job& job) {
    Start(std::shared_ptr<Job>(&job, [](Job*) {}));
    Wait(job).IgnoreError();  // the status stays in job.status
  }
};

namespace {

class JobHandle final : public PendingCollective {
 public:
  JobHandle(MpiCollectives::Engine* engine, std::shared_ptr<Job> job)
      : engine_(engine), job_(std::move(job)) {}
  ~JobHandle() override {
    if (!waited_) Wait().IgnoreError();  // the tensor may be freed after this
  }
  Status Wait() override {
    waited_ = true;
    return engine_ ? engine_->Wait(*job_) : job_->status;
  }

 private:
  MpiCollectives::Engine* engine_;  // null: job failed before starting
  std::shared_ptr<Job> job_;
  bool waited_ = false;
};

class ThreadEngine final : public MpiCollectives::Engine {
 public:
  // Below this size MPI_Allreduce's latency-optimised algorithms win.
  static constexpr int64_t kRingMinBytes = 256 << 10;

  ThreadEngine(MPI_Comm comm, int size, std::unique_ptr<ShmAllreduce> shm)
      : comm_(comm), size_(size), ring_(comm), shm_(std::move(shm)), thread_([this] { Loop(); }) {}
  ~ThreadEngine() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Start(const std::shared_ptr<Job>& job) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(job);
      ++in_flight_;
    }
    cv_.notify_all();
  }
  Status Wait(Job& job) override {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return job.done; });
    return job.status;
  }
  Status Drain() override {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return in_flight_ == 0; });
    return Status::Ok();
  }

  void RunInline(Job& job) override {
    job.status = Execute(job);
    job.done = true;
  }

 private:
  // Runs one allreduce on the calling thread.
  Status Execute(Job& job) {
    Status status;
    StatusOr<MPI_Datatype> type = MpiType(job.tensor);
    if (!type.ok()) {
      status = type.status();
    } else {
      const bool ring = size_ > 1 && job.tensor.is_floating_point() &&
                        job.tensor.numel() * job.tensor.element_size() >= kRingMinBytes &&
                        (job.tensor.scalar_type() == torch::kFloat ||
                         job.tensor.scalar_type() == torch::kDouble);
      const bool shm = shm_ != nullptr && (job.tensor.scalar_type() == torch::kFloat ||
                                           job.tensor.scalar_type() == torch::kDouble);
      if (shm) {
        status = shm_->Run(job.tensor, job.op == ReduceOp::kMax,
                           job.op == ReduceOp::kAverage ? 1.0 / size_ : 1.0);
      } else if (ring) {
        status = ring_.Run(job.tensor, *type, job.op);
      } else {
        status = MpiStatus(MPI_Allreduce(MPI_IN_PLACE, job.tensor.data_ptr(),
                                         static_cast<int>(job.tensor.numel()), *type,
                                         MpiOp(job.op), comm_),
                           "MPI_Allreduce");
        if (status.ok()) status = Finish(job.tensor, job.op, size_);
      }
    }
    return status;
  }

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and nothing left
      std::shared_ptr<Job> job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      Status status = Execute(*job);
      lock.lock();
      job->status = std::move(status);
      job->done = true;
      --in_flight_;
      done_cv_.notify_all();
    }
  }

  const MPI_Comm comm_;
  const int size_;
  RingAllreduce ring_;  // used by the communication thread only
  std::unique_ptr<ShmAllreduce> shm_;  // null: ranks not on one node, or disabled
  std::mutex mu_;
  std::condition_variable cv_;       // work queued or stop
  std::condition_variable done_cv_;  // a job finished
  std::deque<std::shared_ptr<Job>> queue_;
  int in_flight_ = 0;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

class NonBlockingEngine final : public MpiCollectives::Engine {
 public:
  NonBlockingEngine(MPI_Comm comm, int size) : comm_(comm), size_(size) {}
  ~NonBlockingEngine() override { Drain().IgnoreError(); }
  void Start(const std::shared_ptr<Job>& job) override {
    StatusOr<MPI_Datatype> type = MpiType(job->tensor);
    if (!type.ok()) {
      job->status = type.status();
      job->done = true;
      return;
    }
    job->status = MpiStatus(MPI_Iallreduce(MPI_IN_PLACE, job->tensor.data_ptr(),
                                           static_cast<int>(job->tensor.numel()), *type,
                                           MpiOp(job->op), comm_, &job->request),
                            "MPI_Iallreduce");
    if (!job->status.ok()) {
      job->done = true;
      return;
    }
    pending_.push_back(job);
    Poll();
  }
  Status Wait(Job& job) override {
    while (!job.done) {
      Complete(*pending_.front(), /*block=*/true);
      pending_.pop_front();
    }
    return job.status;
  }
  Status Drain() override {
    while (!pending_.empty()) {
      Complete(*pending_.front(), /*block=*/true);
      pending_.pop_front();
    }
    return Status::Ok();
  }
  void Poll() override {
    while (!pending_.empty() && Complete(*pending_.front(), /*block=*/false)) pending_.pop_front();
  }

 private:
  // Returns whether the job is done.
  bool Complete(Job& job, bool block) {
    int flag = 0;
    int rc = block ? MPI_Wait(&job.request, MPI_STATUS_IGNORE)
                   : MPI_Test(&job.request, &flag, MPI_STATUS_IGNORE);
    if (rc == MPI_SUCCESS && !block && !flag) return false;
    job.status = MpiStatus(rc, "MPI_Iallreduce");
    if (job.status.ok()) job.status = Finish(job.tensor, job.op, size_);
    job.done = true;
    return true;
  }

  const MPI_Comm comm_;
  const int size_;
  std::deque<std::shared_ptr<Job>> pending_;
};

}  // namespace

MpiCollectives::MpiCollectives(MPI_Comm comm, int rank, int size, std::unique_ptr<Engine> engine)
    : comm_(comm), rank_(rank), size_(size), engine_(std::move(engine)) {}

MpiCollectives::~MpiCollectives() {
  engine_.reset();  // joins the communication thread before the communicator goes
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&comm_);
}

StatusOr<std::unique_ptr<MpiCollectives>> MpiCollectives::Create(
    MPI_Comm parent, const MpiCollectivesOptions& options) {
  HPS_RETURN_IF_ERROR(options.Validate());
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) return FailedPreconditionError("MPI is not initialised");
  int parent_rank = 0;
  HPS_RETURN_IF_ERROR(MpiStatus(MPI_Comm_rank(parent, &parent_rank), "MPI_Comm_rank"));
  MPI_Comm comm = MPI_COMM_NULL;
  HPS_RETURN_IF_ERROR(MpiStatus(
      MPI_Comm_split(parent, options.color, options.key < 0 ? parent_rank : options.key, &comm),
      "MPI_Comm_split"));
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  MpiCollectivesOptions::Progress progress = options.progress;
  if (progress == MpiCollectivesOptions::Progress::kThread && provided < MPI_THREAD_SERIALIZED) {
    HPS_LOG(WARNING) << "MPI thread level " << provided
                     << " is below MPI_THREAD_SERIALIZED; using non-blocking collectives";
    progress = MpiCollectivesOptions::Progress::kNonBlocking;
  }
  std::unique_ptr<Engine> engine;
  if (progress == MpiCollectivesOptions::Progress::kThread) {
    std::unique_ptr<ShmAllreduce> shm;
    if (size > 1 && options.shared_memory) {
      StatusOr<std::unique_ptr<ShmAllreduce>> made = ShmAllreduce::Create(comm, options.shm_chunk_bytes);
      if (made.ok()) {
        shm = std::move(made).value();
      } else if (made.status().code() != StatusCode::kUnimplemented) {
        MPI_Comm_free(&comm);
        return made.status();
      }
    }
    engine = std::make_unique<ThreadEngine>(comm, size, std::move(shm));
  } else {
    engine = std::make_unique<NonBlockingEngine>(comm, size);
  }
  return std::unique_ptr<MpiCollectives>(new MpiCollectives(comm, rank, size, std::move(engine)));
}

Status MpiCollectives::Drain() { return engine_->Drain(); }

void MpiCollectives::Poll() { engine_->Poll(); }

Status MpiCollectives::Broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  if (root < 0 || root >= size_) return InvalidArgumentError("broadcast root out of range");
  HPS_RETURN_IF_ERROR(Drain());
  for (const torch::Tensor& t : tensors) {
    if (!t.defined() || !t.device().is_cpu() || !t.is_contiguous()) {
      return InvalidArgumentError("Broadcast needs defined contiguous CPU tensors");
    }
    char* data = static_cast<char*>(t.data_ptr());
    int64_t left = static_cast<int64_t>(t.numel() * t.element_size());
    while (left > 0) {
      const int chunk = static_cast<int>(std::min<int64_t>(left, 1 << 30));
      HPS_RETURN_IF_ERROR(MpiStatus(MPI_Bcast(data, chunk, MPI_BYTE, root, comm_), "MPI_Bcast"));
      data += chunk;
      left -= chunk;
    }
  }
  return Status::Ok();
}

std::unique_ptr<PendingCollective> MpiCollectives::AllreduceAsync(torch::Tensor tensor,
                                                                  ReduceOp op) {
  auto job = std::make_shared<Job>();
  job->op = op;
  Status check = CheckTensor(tensor);
  if (!check.ok()) {
    job->status = check;
    job->done = true;
    return std::make_unique<JobHandle>(nullptr, std::move(job));
  }
  job->tensor = std::move(tensor);
  engine_->Start(job);
  return std::make_unique<JobHandle>(engine_.get(), std::move(job));
}

Status MpiCollectives::Allreduce(torch::Tensor tensor, ReduceOp op) {
  HPS_RETURN_IF_ERROR(CheckTensor(tensor));
  HPS_RETURN_IF_ERROR(Drain());
  Job job;
  job.op = op;
  job.tensor = std::move(tensor);
  engine_->RunInline(job);
  return job.status;
}

StatusOr<std::vector<std::string>> MpiCollectives::AllgatherBytes(const std::string& bytes) {
  HPS_RETURN_IF_ERROR(Drain());
  if (bytes.size() > INT_MAX) return InvalidArgumentError("AllgatherBytes message too large");
  int mine = static_cast<int>(bytes.size());
  std::vector<int> sizes(size_);
  HPS_RETURN_IF_ERROR(
      MpiStatus(MPI_Allgather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, comm_), "MPI_Allgather"));
  std::vector<int> offsets(size_);
  int64_t total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[r] = static_cast<int>(total);
    total += sizes[r];
  }
  if (total > INT_MAX) return InvalidArgumentError("AllgatherBytes total too large");
  std::string all(static_cast<size_t>(total), '\0');
  HPS_RETURN_IF_ERROR(MpiStatus(MPI_Allgatherv(bytes.data(), mine, MPI_BYTE, all.data(), sizes.data(),
                                               offsets.data(), MPI_BYTE, comm_),
                                "MPI_Allgatherv"));
  std::vector<std::string> out(size_);
  for (int r = 0; r < size_; ++r) out[r] = all.substr(offsets[r], sizes[r]);
  return out;
}

Status MpiCollectives::BroadcastBytes(std::string* bytes, int root) {
  if (root < 0 || root >= size_) return InvalidArgumentError("broadcast root out of range");
  HPS_RETURN_IF_ERROR(Drain());
  int64_t n = static_cast<int64_t>(bytes->size());
  HPS_RETURN_IF_ERROR(MpiStatus(MPI_Bcast(&n, 1, MPI_INT64_T, root, comm_), "MPI_Bcast"));
  bytes->resize(static_cast<size_t>(n));
  char* data = bytes->data();
  int64_t left = n;
  while (left > 0) {
    const int chunk = static_cast<int>(std::min<int64_t>(left, 1 << 30));
    HPS_RETURN_IF_ERROR(MpiStatus(MPI_Bcast(data, chunk, MPI_BYTE, root, comm_), "MPI_Bcast"));
    data += chunk;
    left -= chunk;
  }
  return Status::Ok();
}

Status MpiCollectives::Barrier() {
  HPS_RETURN_IF_ERROR(Drain());
  return MpiStatus(MPI_Barrier(comm_), "MPI_Barrier");
}

}  // namespace hpsweep::worker
