// Starting a real hpsweep-coordinator from a test or benchmark, and the
// environment multi-process tests give mpirun.
//
// Thread safety: functions are thread-compatible (no shared state).
#ifndef HPSWEEP_TESTS_COORDINATOR_PROCESS_H_
#define HPSWEEP_TESTS_COORDINATOR_PROCESS_H_

#include <string>
#include <vector>

#include "common/status.h"
#include "common/subprocess.h"
#include "proto/api_client.h"

namespace hpsweep {

// Starts `binary --data-dir dir --port PORT` in `process` (output appended
// to `log_path`) and waits until it serves, i.e. until it has written
// dir/endpoint. Returns its URL and token. UNAVAILABLE with the log's text
// when it exits first or is not up within `timeout_seconds`. `port` 0 picks
// a free one; a restart passes the port it had, so that running workers
// find it again.
StatusOr<proto::Connection> StartCoordinator(Subprocess& process, const std::string& binary,
                                             const std::string& dir, const std::string& log_path,
                                             double timeout_seconds = 30, int port = 0);

// What mpirun needs in tests run as root on one machine: root allowed, shared
// memory and TCP transports, one BLAS thread per rank.
const std::vector<std::string>& MpiTestEnvironment();

}  // namespace hpsweep

#endif  // HPSWEEP_TESTS_COORDINATOR_PROCESS_H_
