// What the gang tests (gang_test.cc, one rank; gang_mpi_test.cc, two ranks)
// lease and how they run a gang: a small, fast mlp trial and gang options
// with short waits.
#ifndef HPSWEEP_WORKER_GANG_TESTING_H_
#define HPSWEEP_WORKER_GANG_TESTING_H_

#include <cstdint>
#include <string>

#include "proto/messages.h"
#include "worker/gang.h"

namespace hpsweep::worker::testing {

// Trial `id` (number id - 1) of sweep 1: an mlp of 3 epochs over 64 rows,
// 64 / batch_size steps each (per rank when data-parallel), reporting
// val_loss.
inline proto::LeasedTrial MlpTrial(uint64_t id, int64_t batch_size) {
  proto::LeasedTrial t;
  t.trial.id = id;
  t.trial.sweep_id = 1;
  t.trial.number = id - 1;
  t.trial.params = {{"lr", 0.05}};
  t.program.model = "mlp";
  t.program.args = {{"in_features", 8}, {"hidden", {16}},           {"classes", 3},
                    {"train_size", 64}, {"val_size", 32},           {"batch_size", batch_size},
                    {"epochs", 3}};
  t.metric.name = "val_loss";
  return t;
}

// Lease of 4 s (a heartbeat every second), short idle and unreachable waits.
inline GangOptions TestGangOptions(const std::string& client_id) {
  GangOptions o;
  o.client_id = client_id;
  o.lease_seconds = 4;
  o.idle_wait_seconds = 0.2;
  o.unreachable_wait_seconds = 2;
  return o;
}

}  // namespace hpsweep::worker::testing

#endif  // HPSWEEP_WORKER_GANG_TESTING_H_
