#include "worker/routed_collectives.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace hpsweep::worker {
namespace {

// Records what reached it; every collective succeeds.
class Recorder final : public Collectives {
 public:
  explicit Recorder(std::string name) : name_(std::move(name)) {}
  struct Done final : PendingCollective {
    Status Wait() override { return Status::Ok(); }
  };
  int rank() const override { return 0; }
  int size() const override { return 2; }
  Status Broadcast(const std::vector<torch::Tensor>& t, int) override {
    log.push_back("broadcast " + std::to_string(t.size()));
    return Status::Ok();
  }
  std::unique_ptr<PendingCollective> AllreduceAsync(torch::Tensor, ReduceOp) override {
    log.push_back("allreduce_async");
    return std::make_unique<Done>();
  }
  Status Allreduce(torch::Tensor, ReduceOp) override {
    log.push_back("allreduce");
    return Status::Ok();
  }
  StatusOr<std::vector<std::string>> AllgatherBytes(const std::string& b) override {
    log.push_back("allgather");
    return std::vector<std::string>{b, b};
  }
  Status BroadcastBytes(std::string*, int) override {
    log.push_back("broadcast_bytes");
    return Status::Ok();
  }
  Status Barrier() override {
    log.push_back("barrier");
    return Status::Ok();
  }
  void Poll() override { log.push_back("poll"); }
  std::vector<std::string> log;

 private:
  std::string name_;
};

TEST(RoutedCollectivesTest, CpuTensorsAndBytesGoToTheHost) {
  Recorder host("host"), device("device");
  RoutedCollectives routed(&host, &device);
  EXPECT_EQ(routed.size(), 2);
  ASSERT_TRUE(routed.Allreduce(torch::ones({3}), ReduceOp::kSum).ok());
  ASSERT_TRUE(routed.AllreduceAsync(torch::ones({3}), ReduceOp::kAverage)->Wait().ok());
  ASSERT_TRUE(routed.AllgatherBytes("x").ok());
  std::string b = "y";
  ASSERT_TRUE(routed.BroadcastBytes(&b, 0).ok());
  ASSERT_TRUE(routed.Broadcast({torch::ones({2}), torch::ones({1})}, 0).ok());
  EXPECT_EQ(host.log, (std::vector<std::string>{"allreduce", "allreduce_async", "allgather",
                                                "broadcast_bytes", "broadcast 2"}));
  EXPECT_TRUE(device.log.empty());
  ASSERT_TRUE(routed.Barrier().ok());
  routed.Poll();
  EXPECT_EQ(device.log, (std::vector<std::string>{"barrier", "poll"}));
  // AgreeOnStatus (the trainer's failure agreement) runs on the host too.
  EXPECT_EQ(AgreeOnStatus(routed, InvalidArgumentError("bad")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(host.log.back(), "allgather");
}

}  // namespace
}  // namespace hpsweep::worker
