// hpsweep-coordinator: the process that schedules sweeps and serves the API.
// (Foundation stage: proves the binary links its libraries and starts.)
#include <rocksdb/version.h>

#include <boost/version.hpp>
#include <cstring>
#include <iostream>

#include "common/logging.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::cout << "hpsweep-coordinator 0.1 (rocksdb " << ROCKSDB_MAJOR << "." << ROCKSDB_MINOR
                << ", boost " << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000
                << ")\n";
      return 0;
    }
  }
  HPS_LOG(INFO) << "hpsweep-coordinator started";
  return 0;
}
