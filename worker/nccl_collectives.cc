#include "worker/nccl_collectives.h"

#include <cstring>
#include <string>
#include <utility>

namespace hpsweep::worker {
namespace {

StatusOr<ncclDataType_t> NcclType(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat: return ncclFloat32;
    case torch::kDouble: return ncclFloat64;
    case torch::kHalf: return ncclFloat16;
    case torch::kBFloat16: return ncclBfloat16;
    case torch::kInt: return ncclInt32;
    case torch::kLong: return ncclInt64;
    case torch::kByte: return ncclUint8;
    case torch::kChar: return ncclInt8;
    default:
      return InvalidArgumentError(std::string("NCCL does not support dtype ") +
                                  c10::toString(t.scalar_type()));
  }
}

ncclRedOp_t NcclOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::kAverage: return ncclAvg;
    case ReduceOp::kMax: return ncclMax;
    default: return ncclSum;
  }
}

// Completion of one allreduce: an event on the NCCL stream.
class NcclPending final : public PendingCollective {
 public:
  NcclPending(Status status, cudaEvent_t done) : status_(std::move(status)), done_(done) {}
  ~NcclPending() override {
    if (done_ != nullptr) cudaEventDestroy(done_);
  }
  Status Wait() override {
    if (!status_.ok() || done_ == nullptr) return status_;
    // Device-side ordering: later kernels on the current stream wait for the
    // allreduce; the host does not block.
    Status s = CudaStatus(cudaStreamWaitEvent(nullptr, done_, 0), "cudaStreamWaitEvent");
    cudaEventDestroy(done_);
    done_ = nullptr;
    return s;
  }

 private:
  Status status_;
  cudaEvent_t done_;
};

}  // namespace

Status NcclStatus(ncclResult_t result, const char* what) {
  if (result == ncclSuccess) return Status::Ok();
  return UnavailableError(std::string(what) + " failed: " + ncclGetErrorString(result));
}

Status CudaStatus(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return Status::Ok();
  if (error == cudaErrorMemoryAllocation) {
    return ResourceExhaustedError(std::string(what) + ": " + cudaGetErrorString(error));
  }
  return InternalError(std::string(what) + " failed: " + cudaGetErrorString(error));
}

StatusOr<std::unique_ptr<NcclCollectives>> NcclCollectives::Create(Collectives* mpi, int device) {
  Status local = CudaStatus(cudaSetDevice(device), "cudaSetDevice");
  ncclUniqueId id{};
  if (local.ok() && mpi->rank() == 0) local = NcclStatus(ncclGetUniqueId(&id), "ncclGetUniqueId");
  HPS_RETURN_IF_ERROR(AgreeOnStatus(*mpi, local));
  std::string bytes(reinterpret_cast<const char*>(&id), sizeof(id));
  HPS_RETURN_IF_ERROR(mpi->BroadcastBytes(&bytes, 0));
  if (bytes.size() != sizeof(id)) return InternalError("ncclUniqueId has the wrong size");
  std::memcpy(&id, bytes.data(), sizeof(id));
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  local = NcclStatus(ncclCommInitRank(&comm, mpi->size(), id, mpi->rank()), "ncclCommInitRank");
  if (local.ok()) {
    local = CudaStatus(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  }
  Status agreed = AgreeOnStatus(*mpi, local);
  if (!agreed.ok()) {
    if (comm != nullptr) ncclCommAbort(comm);
    if (stream != nullptr) cudaStreamDestroy(stream);
    return agreed;
  }
  return std::unique_ptr<NcclCollectives>(new NcclCollectives(mpi, device, comm, stream));
}

NcclCollectives::NcclCollectives(Collectives* mpi, int device, ncclComm_t comm,
                                 cudaStream_t stream)
    : mpi_(mpi), device_(device), comm_(comm), stream_(stream) {
  if (cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming) != cudaSuccess) ready_ = nullptr;
}

NcclCollectives::~NcclCollectives() {
  if (!aborted_) {
    cudaStreamSynchronize(stream_);
    ncclCommDestroy(comm_);
  }
  if (ready_ != nullptr) cudaEventDestroy(ready_);
  cudaStreamDestroy(stream_);
}

Status NcclCollectives::Fail(Status error) {
  if (!aborted_) {
    ncclCommAbort(comm_);
    aborted_ = true;
  }
  return error;
}

Status NcclCollectives::OrderAfterCurrentStream() {
  if (aborted_) return UnavailableError("NCCL communicator was aborted after an earlier error");
  if (ready_ == nullptr) return InternalError("cudaEventCreate failed");
  HPS_RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device_), "cudaSetDevice"));
  HPS_RETURN_IF_ERROR(CudaStatus(cudaEventRecord(ready_, nullptr), "cudaEventRecord"));
  return CudaStatus(cudaStreamWaitEvent(stream_, ready_, 0), "cudaStreamWaitEvent");
}

Status NcclCollectives::Broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  HPS_RETURN_IF_ERROR(OrderAfterCurrentStream());
  for (const torch::Tensor& t : tensors) {
    if (!t.is_cuda() || !t.is_contiguous()) {
      return InvalidArgumentError("NCCL Broadcast needs contiguous CUDA tensors");
    }
    Status s = NcclStatus(ncclBroadcast(t.data_ptr(), t.data_ptr(), t.numel() * t.element_size(),
                                        ncclUint8, root, comm_, stream_),
                          "ncclBroadcast");
    if (!s.ok()) return Fail(s);
  }
  Status s = CudaStatus(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  return s.ok() ? s : Fail(s);
}

std::unique_ptr<PendingCollective> NcclCollectives::AllreduceAsync(torch::Tensor tensor,
                                                                   ReduceOp op) {
  auto failed = [](Status s) { return std::make_unique<NcclPending>(std::move(s), nullptr); };
  if (!tensor.is_cuda() || !tensor.is_contiguous()) {
    return failed(InvalidArgumentError("NCCL allreduce needs a contiguous CUDA tensor"));
  }
  StatusOr<ncclDataType_t> type = NcclType(tensor);
  if (!type.ok()) return failed(type.status());
  Status s = OrderAfterCurrentStream();
  if (!s.ok()) return failed(s);
  s = NcclStatus(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), *type,
                               NcclOp(op), comm_, stream_),
                 "ncclAllReduce");
  if (!s.ok()) return failed(Fail(s));
  cudaEvent_t done = nullptr;
  s = CudaStatus(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreate");
  if (s.ok()) s = CudaStatus(cudaEventRecord(done, stream_), "cudaEventRecord");
  if (!s.ok()) {
    if (done != nullptr) cudaEventDestroy(done);
    return failed(Fail(s));
  }
  return std::make_unique<NcclPending>(Status::Ok(), done);
}

StatusOr<std::vector<std::string>> NcclCollectives::AllgatherBytes(const std::string& bytes) {
  return mpi_->AllgatherBytes(bytes);
}

Status NcclCollectives::BroadcastBytes(std::string* bytes, int root) {
  return mpi_->BroadcastBytes(bytes, root);
}

Status NcclCollectives::Barrier() {
  if (!aborted_) {
    Status s = CudaStatus(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
    if (!s.ok()) return Fail(s);
  }
  return mpi_->Barrier();
}

}  // namespace hpsweep::worker
