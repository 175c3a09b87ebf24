#include "worker/reducer.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>

#include "common/logging.h"

namespace hpsweep::worker {
namespace {

class GradReadyHook final : public torch::autograd::FunctionPostHook {
 public:
  GradReadyHook(Reducer* reducer, size_t index) : reducer_(reducer), index_(index) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list&) override {
    reducer_->OnGradReady(index_);
    return outputs;
  }

 private:
  Reducer* reducer_;
  size_t index_;
};

std::string Describe(const torch::Tensor& t) {
  std::ostringstream os;
  os << c10::toString(t.scalar_type()) << t.sizes();
  return os.str();
}

// One line per tensor: "<kind> <i>\t<dtype>[shape]".
std::vector<std::string> Signature(const std::vector<torch::Tensor>& params,
                                   const std::vector<torch::Tensor>& buffers) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < params.size(); ++i) lines.push_back("parameter " + std::to_string(i) + "\t" + Describe(params[i]));
  for (size_t i = 0; i < buffers.size(); ++i) lines.push_back("buffer " + std::to_string(i) + "\t" + Describe(buffers[i]));
  return lines;
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string line; std::getline(is, line);) out.push_back(line);
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

size_t Count(const std::vector<std::string>& lines, const std::string& kind) {
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.rfind(kind + " ", 0) == 0;
  }));
}

// Same verdict on every rank: compares each rank's signature with the leader's.
Status CheckSameModel(Collectives& comm, const std::vector<torch::Tensor>& params,
                      const std::vector<torch::Tensor>& buffers) {
  HPS_ASSIGN_OR_RETURN(std::vector<std::string> all, comm.AllgatherBytes(Join(Signature(params, buffers))));
  const std::vector<std::string> leader = SplitLines(all[0]);
  for (size_t r = 1; r < all.size(); ++r) {
    const std::vector<std::string> mine = SplitLines(all[r]);
    for (const char* kind : {"parameter", "buffer"}) {
      if (Count(mine, kind) != Count(leader, kind)) {
        return InvalidArgumentError("model differs across ranks: rank " + std::to_string(r) + " has " +
                                    std::to_string(Count(mine, kind)) + " " + kind + "s, rank 0 has " +
                                    std::to_string(Count(leader, kind)));
      }
    }
    for (size_t i = 0; i < mine.size(); ++i) {
      if (mine[i] != leader[i]) {
        const size_t tab = mine[i].find('\t');
        return InvalidArgumentError("model differs across ranks: " + mine[i].substr(0, tab) + " is " +
                                    mine[i].substr(tab + 1) + " on rank " + std::to_string(r) +
                                    " but " + leader[i].substr(leader[i].find('\t') + 1) +
                                    " on rank 0");
      }
    }
  }
  return Status::Ok();
}

Status BroadcastFromLeader(Collectives& comm, const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> contiguous;
  contiguous.reserve(tensors.size());
  for (const torch::Tensor& t : tensors) contiguous.push_back(t.is_contiguous() ? t : t.contiguous());
  HPS_RETURN_IF_ERROR(comm.Broadcast(contiguous, 0));
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!contiguous[i].is_same(tensors[i])) tensors[i].copy_(contiguous[i]);
  }
  return Status::Ok();
}

}  // namespace

Status ReducerOptions::Validate() const {
  if (first_bucket_bytes < 1) {
    return InvalidArgumentError("first_bucket_bytes must be >= 1", "/first_bucket_bytes");
  }
  if (bucket_bytes < 1) return InvalidArgumentError("bucket_bytes must be >= 1", "/bucket_bytes");
  return Status::Ok();
}

std::vector<std::vector<size_t>> AssignBuckets(const std::vector<torch::Tensor>& params,
                                               const ReducerOptions& options) {
  using Key = std::tuple<int, int, int>;  // dtype, device type, device index
  struct Open {
    std::vector<size_t> members;
    int64_t bytes = 0;
  };
  std::map<Key, Open> open;
  std::vector<std::vector<size_t>> closed;
  for (size_t k = params.size(); k-- > 0;) {
    const torch::Tensor& p = params[k];
    const Key key{static_cast<int>(p.scalar_type()), static_cast<int>(p.device().type()),
                  p.device().index()};
    Open& bucket = open[key];
    bucket.members.push_back(k);
    bucket.bytes += p.numel() * static_cast<int64_t>(p.element_size());
    const int64_t limit = closed.empty() ? options.first_bucket_bytes : options.bucket_bytes;
    if (bucket.bytes >= limit) {
      closed.push_back(std::move(bucket.members));
      open.erase(key);
    }
  }
  for (auto& [key, bucket] : open) closed.push_back(std::move(bucket.members));
  // Walk order = descending parameter index; the first member is the largest.
  std::sort(closed.begin(), closed.end(),
            [](const std::vector<size_t>& a, const std::vector<size_t>& b) { return a[0] > b[0]; });
  return closed;
}

Reducer::Reducer(Collectives* comm, std::vector<torch::Tensor> params)
    : comm_(comm), params_(std::move(params)) {}

StatusOr<std::unique_ptr<Reducer>> Reducer::Create(Collectives* comm,
                                                   std::vector<torch::Tensor> params,
                                                   const std::vector<torch::Tensor>& buffers,
                                                   const ReducerOptions& options) {
  HPS_RETURN_IF_ERROR(options.Validate());
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].defined() || !params[i].requires_grad()) {
      return InvalidArgumentError("parameter " + std::to_string(i) + " does not require grad");
    }
  }
  try {
    if (comm->size() > 1) {
      HPS_RETURN_IF_ERROR(CheckSameModel(*comm, params, buffers));
      HPS_RETURN_IF_ERROR(BroadcastFromLeader(*comm, params));
      HPS_RETURN_IF_ERROR(BroadcastFromLeader(*comm, buffers));
    }
    std::unique_ptr<Reducer> reducer(new Reducer(comm, std::move(params)));
    reducer->BuildBuckets(options);
    reducer->RegisterHooks();
    return reducer;
  } catch (const c10::Error& e) {
    return InternalError(std::string("building the reducer: ") + e.what_without_backtrace());
  }
}

void Reducer::BuildBuckets(const ReducerOptions& options) {
  bucket_params_ = AssignBuckets(params_, options);
  buckets_.resize(bucket_params_.size());
  bucket_of_.assign(params_.size(), 0);
  views_.assign(params_.size(), torch::Tensor());
  ready_.assign(params_.size(), false);
  if (comm_->size() == 1) return;  // gradients stay where autograd puts them
  for (size_t b = 0; b < bucket_params_.size(); ++b) {
    int64_t numel = 0;
    for (size_t i : bucket_params_[b]) numel += params_[i].numel();
    const bool last = b + 1 == bucket_params_.size();
    const torch::Tensor& first = params_[bucket_params_[b][0]];
    buckets_[b].flat = torch::zeros({numel + (last ? 1 : 0)}, first.options().requires_grad(false));
    int64_t offset = 0;
    for (size_t i : bucket_params_[b]) {
      bucket_of_[i] = b;
      views_[i] = buckets_[b].flat.narrow(0, offset, params_[i].numel()).view(params_[i].sizes());
      offset += params_[i].numel();
    }
  }
}

void Reducer::RegisterHooks() {
  accumulators_.resize(params_.size());
  hook_keys_.resize(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    // The variable holds its accumulator weakly; keep it alive so the hook stays.
    accumulators_[i] = torch::autograd::impl::grad_accumulator(params_[i]);
    hook_keys_[i] = accumulators_[i]->add_post_hook(std::make_unique<GradReadyHook>(this, i));
  }
}

Reducer::~Reducer() {
  for (size_t i = 0; i < accumulators_.size(); ++i) {
    if (accumulators_[i]) accumulators_[i]->del_post_hook(hook_keys_[i]);
  }
  for (Bucket& b : buckets_) {
    if (b.handle) b.handle->Wait().IgnoreError();  // the fusion buffer must outlive it
  }
}

void Reducer::PrepareForBackward() {
  for (torch::Tensor& p : params_) p.mutable_grad().reset();
  std::fill(ready_.begin(), ready_.end(), false);
  for (size_t b = 0; b < buckets_.size(); ++b) {
    buckets_[b].pending = static_cast<int>(bucket_params_[b].size());
    buckets_[b].started = false;
    buckets_[b].handle.reset();
  }
  next_bucket_ = 0;
  in_step_ = true;
}

void Reducer::OnGradReady(size_t i) {
  if (!in_step_ || comm_->size() == 1 || ready_[i]) return;
  comm_->Poll();
  torch::Tensor& grad = params_[i].mutable_grad();
  {
    torch::NoGradGuard no_grad;
    if (grad.defined()) {
      views_[i].copy_(grad);
    } else {
      views_[i].zero_();
    }
  }
  grad = views_[i];
  ready_[i] = true;
  Bucket& bucket = buckets_[bucket_of_[i]];
  if (--bucket.pending == 0) StartReadyBuckets();
}

void Reducer::StartReadyBuckets() {
  // The final bucket carries the failure flag: FinishBackward starts it.
  while (next_bucket_ + 1 < buckets_.size() && buckets_[next_bucket_].pending == 0) {
    StartBucket(next_bucket_++);
    ++stats_.buckets_started_in_backward;
  }
}

void Reducer::StartBucket(size_t b) {
  buckets_[b].started = true;
  buckets_[b].handle = comm_->AllreduceAsync(buckets_[b].flat, ReduceOp::kAverage);
}

StatusOr<int> Reducer::FinishBackward(bool local_failed) {
  if (!in_step_) return FailedPreconditionError("FinishBackward without PrepareForBackward");
  in_step_ = false;
  // A statistic only (no behaviour depends on it), so the steady clock is read
  // directly rather than through an injected Clock.
  const auto start = std::chrono::steady_clock::now();
  struct Account {
    ReducerStats& stats;
    std::chrono::steady_clock::time_point start;
    ~Account() {
      ++stats.steps;
      stats.finish_micros += std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
    }
  } account{stats_, start};
  try {
    torch::NoGradGuard no_grad;
    if (comm_->size() == 1) {
      for (torch::Tensor& p : params_) {
        if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      }
      return local_failed ? 1 : 0;
    }
    for (size_t i = 0; i < params_.size(); ++i) {
      if (ready_[i]) continue;
      // Unused in this step's graph (or this rank failed before backward).
      views_[i].zero_();
      params_[i].mutable_grad() = views_[i];
      ready_[i] = true;
      --buckets_[bucket_of_[i]].pending;
    }
    torch::Tensor& last = buckets_.back().flat;
    last[last.numel() - 1].fill_(local_failed ? 1.0 : 0.0);
    while (next_bucket_ + 1 < buckets_.size()) {
      StartBucket(next_bucket_++);
      ++stats_.buckets_started_at_finish;
    }
    // Nothing is left to overlap with: the final bucket runs blocking, which
    // lets the implementation skip the hand-off to its communication thread.
    next_bucket_ = buckets_.size();
    ++stats_.buckets_started_at_finish;
    Status status = comm_->Allreduce(buckets_.back().flat, ReduceOp::kAverage);
    for (Bucket& b : buckets_) {
      if (!b.handle) continue;
      Status s = b.handle->Wait();
      b.handle.reset();
      if (status.ok() && !s.ok()) status = s;
    }
    HPS_RETURN_IF_ERROR(status);
    const double mean_flag = last[last.numel() - 1].item<double>();
    return static_cast<int>(std::lround(mean_flag * comm_->size()));
  } catch (const c10::Error& e) {
    // Local only: the collectives above were all started, so peers do not hang.
    return InternalError(std::string("finishing gradient allreduce: ") + e.what_without_backtrace());
  }
}

}  // namespace hpsweep::worker
