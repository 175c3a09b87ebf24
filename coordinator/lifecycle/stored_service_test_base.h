// A fixture for tests that drive SweepService as the coordinator does and
// restart it: a memory store that outlives the service, a fake clock, and
// mutations committed to the store before their answers are read.
#ifndef HPSWEEP_COORDINATOR_LIFECYCLE_STORED_SERVICE_TEST_BASE_H_
#define HPSWEEP_COORDINATOR_LIFECYCLE_STORED_SERVICE_TEST_BASE_H_

#include <memory>
#include <utility>

#include "common/clock.h"
#include "coordinator/lifecycle/sweep_service.h"
#include "coordinator/lifecycle/sweep_service_testing.h"
#include "coordinator/store/memory_store.h"
#include "coordinator/store/store.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {

class StoredServiceTest : public ::testing::Test {
 protected:
  StoredServiceTest() : store_(NewMemoryStore()) { Restart(); }

  // A fresh service recovered from the store: a coordinator restart.
  void Restart() {
    service_.reset();
    service_ = std::make_unique<SweepService>(&clock_, SweepServiceOptions());
    ASSERT_TRUE(service_->Recover(*store_).ok());
  }
  // Commits the mutation's writes and returns its answer.
  template <typename T>
  T Apply(StatusOr<Mutation<T>> m) {
    return coordinator::Apply(*store_, std::move(m));
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SweepService> service_;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_LIFECYCLE_STORED_SERVICE_TEST_BASE_H_
