// Single-process tests of bucket assignment and of the reducer's hook-driven
// bucket scheduling, against a fake two-rank gang whose peer holds the same
// gradients (so the mean equals the local gradient).
#include "worker/reducer.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "worker/collectives.h"

namespace hpsweep::worker {
namespace {

std::vector<torch::Tensor> Floats(const std::vector<int64_t>& numels) {
  std::vector<torch::Tensor> out;
  for (int64_t n : numels) out.push_back(torch::zeros({n}));
  return out;
}

TEST(AssignBucketsTest, ReverseOrderSmallFirstBucketThenLarge) {
  ReducerOptions o;
  o.first_bucket_bytes = 40;  // 10 floats
  o.bucket_bytes = 100;       // 25 floats
  // Walk order: 5, 4, 3, 2, 1, 0.
  const auto buckets = AssignBuckets(Floats({10, 10, 10, 10, 6, 6}), o);
  // First bucket closes at >= 10 floats: {5, 4}; then >= 25: {3, 2, 1}; rest {0}.
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0], (std::vector<size_t>{5, 4}));
  EXPECT_EQ(buckets[1], (std::vector<size_t>{3, 2, 1}));
  EXPECT_EQ(buckets[2], (std::vector<size_t>{0}));
}

TEST(AssignBucketsTest, DefaultsPutSmallModelsInOneOrTwoBuckets) {
  // The baseline MLP (biases after weights): 10 x 1024 head, 1024^2, 256 x 1024.
  std::vector<torch::Tensor> p = Floats({1024 * 256, 1024, 1024 * 1024, 1024, 10 * 1024, 10});
  const auto buckets = AssignBuckets(p, ReducerOptions{});
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0], (std::vector<size_t>{5, 4, 3, 2}));
  EXPECT_EQ(buckets[1], (std::vector<size_t>{1, 0}));
}

TEST(AssignBucketsTest, DtypesNeverShareABucket) {
  std::vector<torch::Tensor> p = {torch::zeros({4}), torch::zeros({4}, torch::kDouble),
                                  torch::zeros({4})};
  ReducerOptions o;
  o.first_bucket_bytes = o.bucket_bytes = 1 << 20;
  const auto buckets = AssignBuckets(p, o);
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0], (std::vector<size_t>{2, 0}));
  EXPECT_EQ(buckets[1], (std::vector<size_t>{1}));
}

TEST(ReducerOptionsTest, Validate) {
  ReducerOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.bucket_bytes = 0;
  EXPECT_EQ(o.Validate().code(), StatusCode::kInvalidArgument);
}

// A gang of two whose other rank mirrors this one. Records allreduce starts.
class MirrorCollectives final : public Collectives {
 public:
  struct Done final : PendingCollective {
    Status Wait() override { return Status::Ok(); }
  };
  int rank() const override { return 0; }
  int size() const override { return 2; }
  Status Broadcast(const std::vector<torch::Tensor>&, int) override { return Status::Ok(); }
  std::unique_ptr<PendingCollective> AllreduceAsync(torch::Tensor t, ReduceOp) override {
    started.push_back(t.numel());
    started_during_backward.push_back(in_backward);
    return std::make_unique<Done>();
  }
  StatusOr<std::vector<std::string>> AllgatherBytes(const std::string& b) override {
    return std::vector<std::string>{b, b};
  }
  Status BroadcastBytes(std::string*, int) override { return Status::Ok(); }
  Status Barrier() override { return Status::Ok(); }

  std::vector<int64_t> started;
  std::vector<bool> started_during_backward;
  bool in_backward = false;
};

TEST(ReducerTest, BucketsStartDuringBackwardInOrderAndGradsMatch) {
  torch::manual_seed(0);
  torch::nn::Sequential net(torch::nn::Linear(8, 16), torch::nn::ReLU(), torch::nn::Linear(16, 16),
                            torch::nn::ReLU(), torch::nn::Linear(16, 4));
  torch::Tensor x = torch::randn({5, 8});
  // Reference gradients without the reducer.
  torch::Tensor loss = net->forward(x).pow(2).mean();
  loss.backward();
  std::vector<torch::Tensor> want;
  for (auto& p : net->parameters()) want.push_back(p.grad().clone());
  net->zero_grad();

  MirrorCollectives comm;
  ReducerOptions o;
  o.first_bucket_bytes = 4 * 60;  // head (64+4 floats) alone
  o.bucket_bytes = 4 * 200;       // middle layer (256+16) alone
  StatusOr<std::unique_ptr<Reducer>> r = Reducer::Create(&comm, net->parameters(), {}, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)->buckets().size(), 3u);
  for (int step = 0; step < 2; ++step) {
    comm.started.clear();
    comm.started_during_backward.clear();
    (*r)->PrepareForBackward();
    comm.in_backward = true;
    net->forward(x).pow(2).mean().backward();
    comm.in_backward = false;
    StatusOr<int> failed = (*r)->FinishBackward(false);
    ASSERT_TRUE(failed.ok()) << failed.status();
    EXPECT_EQ(*failed, 0);
    EXPECT_EQ(comm.started, (std::vector<int64_t>{68, 272, 144 + 1}));
    EXPECT_EQ(comm.started_during_backward, (std::vector<bool>{true, true, false}));
    auto params = net->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_TRUE(torch::equal(params[i].grad(), want[i])) << "param " << i;
    }
  }
}

TEST(ReducerTest, UnusedParametersGetZeroGradients) {
  torch::nn::Linear used(3, 2), unused(3, 2);
  std::vector<torch::Tensor> params = used->parameters();
  for (auto& p : unused->parameters()) params.push_back(p);
  MirrorCollectives comm;
  StatusOr<std::unique_ptr<Reducer>> r = Reducer::Create(&comm, params, {}, ReducerOptions{});
  ASSERT_TRUE(r.ok());
  (*r)->PrepareForBackward();
  used->forward(torch::ones({1, 3})).sum().backward();
  ASSERT_TRUE((*r)->FinishBackward(false).ok());
  for (size_t i = 2; i < params.size(); ++i) {
    ASSERT_TRUE(params[i].grad().defined());
    EXPECT_EQ(params[i].grad().abs().sum().item<float>(), 0.0f);
  }
}

TEST(ReducerTest, RejectsParametersWithoutGrad) {
  MirrorCollectives comm;
  StatusOr<std::unique_ptr<Reducer>> r =
      Reducer::Create(&comm, {torch::zeros({2})}, {}, ReducerOptions{});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hpsweep::worker
