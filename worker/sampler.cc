#include "worker/sampler.h"

#include <numeric>
#include <string>
#include <utility>

namespace hpsweep::worker {
namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Uniform in [0, n) without modulo bias (Lemire's method with rejection).
uint64_t UniformBelow(uint64_t* state, uint64_t n) {
  while (true) {
    const unsigned __int128 m = static_cast<unsigned __int128>(SplitMix64(state)) * n;
    const uint64_t low = static_cast<uint64_t>(m);
    if (low >= n || low >= (-n) % n) return static_cast<uint64_t>(m >> 64);
  }
}

}  // namespace

Status SamplerOptions::Validate() const {
  if (batch_size < 1) {
    return InvalidArgumentError("batch size must be >= 1, got " + std::to_string(batch_size),
                                "/batch_size");
  }
  if (dataset_size < batch_size) {
    return InvalidArgumentError("dataset of " + std::to_string(dataset_size) +
                                    " samples is smaller than one batch of " +
                                    std::to_string(batch_size),
                                "/dataset_size");
  }
  return Status::Ok();
}

DistributedSampler::DistributedSampler(const SamplerOptions& options)
    : options_(options), steps_per_epoch_(options.dataset_size / options.batch_size) {}

StatusOr<DistributedSampler> DistributedSampler::Create(const SamplerOptions& options) {
  HPS_RETURN_IF_ERROR(options.Validate());
  return DistributedSampler(options);
}

StatusOr<SamplerPosition> DistributedSampler::PositionOf(int64_t samples_consumed) const {
  if (samples_consumed < 0 || samples_consumed % options_.batch_size != 0) {
    return InvalidArgumentError("samples consumed (" + std::to_string(samples_consumed) +
                                ") is not a multiple of the batch size " +
                                std::to_string(options_.batch_size));
  }
  SamplerPosition p;
  p.global_step = samples_consumed / options_.batch_size;
  p.epoch = p.global_step / steps_per_epoch_;
  p.step_in_epoch = p.global_step % steps_per_epoch_;
  return p;
}

std::vector<int64_t> DistributedSampler::Permutation(int64_t epoch) const {
  std::vector<int64_t> perm(static_cast<size_t>(options_.dataset_size));
  std::iota(perm.begin(), perm.end(), 0);
  if (!options_.shuffle) return perm;
  uint64_t state = options_.seed;
  // Decorrelate (seed, epoch) pairs before drawing.
  state = SplitMix64(&state) ^ (static_cast<uint64_t>(epoch) * 0xD1B54A32D192ED03ULL);
  for (size_t i = perm.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(UniformBelow(&state, i));
    std::swap(perm[i - 1], perm[j]);
  }
  return perm;
}

int64_t DistributedSampler::LocalCount(int64_t batch_size, int rank, int world) {
  return batch_size / world + (rank < batch_size % world ? 1 : 0);
}

double DistributedSampler::LossScale(int64_t batch_size, int rank, int world) {
  const int64_t n = LocalCount(batch_size, rank, world);
  if (n * world == batch_size) return 1.0;
  return static_cast<double>(n) * world / static_cast<double>(batch_size);
}

StatusOr<std::vector<int64_t>> DistributedSampler::LocalIndices(int64_t epoch,
                                                                int64_t step_in_epoch, int rank,
                                                                int world) {
  if (world < 1 || rank < 0 || rank >= world) {
    return InvalidArgumentError("rank " + std::to_string(rank) + " of world " +
                                std::to_string(world) + " is out of range");
  }
  if (world > options_.batch_size) {
    return InvalidArgumentError("world size " + std::to_string(world) +
                                " exceeds the global batch size " +
                                std::to_string(options_.batch_size));
  }
  if (epoch < 0 || step_in_epoch < 0 || step_in_epoch >= steps_per_epoch_) {
    return InvalidArgumentError("step " + std::to_string(step_in_epoch) + " is outside an epoch of " +
                                std::to_string(steps_per_epoch_) + " steps");
  }
  if (epoch != cached_epoch_) {
    cached_permutation_ = Permutation(epoch);
    cached_epoch_ = epoch;
  }
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(LocalCount(options_.batch_size, rank, world)));
  const int64_t begin = step_in_epoch * options_.batch_size;
  for (int64_t p = begin + rank; p < begin + options_.batch_size; p += world) {
    out.push_back(cached_permutation_[static_cast<size_t>(p)]);
  }
  return out;
}

}  // namespace hpsweep::worker
