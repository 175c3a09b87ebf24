#include "worker/coordinator_client.h"

namespace hpsweep::worker {

StatusOr<std::unique_ptr<CoordinatorClient>> HttpCoordinatorClient::Create(
    const proto::Connection& connection) {
  HPS_ASSIGN_OR_RETURN(std::unique_ptr<proto::CoordinatorClient> http,
                       proto::CoordinatorClient::Create(connection));
  return std::unique_ptr<CoordinatorClient>(
      new HttpCoordinatorClient(connection, std::move(http)));
}

}  // namespace hpsweep::worker
