// CoordinatorClient: typed calls of API v1 over HttpClient, for the CLI,
// workers, tests and benchmarks. HTTP errors come back as the Status the
// coordinator's error body describes (code, message, field). Every reply
// body, lists included, is read into its proto/ type (messages.h); one that
// does not read is INTERNAL with the offending field's pointer.
//
// Thread safety: not thread-safe; one client per thread.
#ifndef HPSWEEP_PROTO_API_CLIENT_H_
#define HPSWEEP_PROTO_API_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/http_client.h"
#include "common/status.h"
#include "proto/messages.h"

namespace hpsweep::proto {

// Where the coordinator is and how to authenticate.
struct Connection {
  std::string url;
  std::string token;
};

// Resolves the coordinator URL and token, first match wins. URL: the flag,
// $HPSWEEP_URL, the data directory's `endpoint` file. Token: --token (visible
// in `ps`: prefer the others), --token-file, $HPSWEEP_TOKEN,
// $HPSWEEP_TOKEN_FILE, the data directory's `token` file. The data directory
// is the flag, else $HPSWEEP_DATA_DIR. NOT_FOUND saying what to pass when no
// URL is found; a named token file that cannot be read is an error naming it.
StatusOr<Connection> ResolveConnection(const std::string& url_flag, const std::string& token_flag,
                                       const std::string& data_dir_flag,
                                       const std::string& token_file_flag = "");

// The API token in the first line of `path` (surrounding whitespace
// removed). NOT_FOUND / PERMISSION_DENIED naming the file when it cannot be
// read, INVALID_ARGUMENT when it holds no token.
StatusOr<std::string> ReadTokenFile(const std::string& path);

class CoordinatorClient {
 public:
  static StatusOr<std::unique_ptr<CoordinatorClient>> Create(const Connection& connection,
                                                             HttpClientOptions options = {});

  StatusOr<Sweep> CreateSweep(const Json& spec);
  StatusOr<std::vector<Sweep>> ListSweeps();
  StatusOr<Sweep> GetSweep(uint64_t sweep_id);
  StatusOr<Sweep> CancelSweep(uint64_t sweep_id);
  StatusOr<Sweep> RetrySweep(uint64_t sweep_id);
  StatusOr<TrialPage> ListTrials(uint64_t sweep_id, const std::string& page_token, int64_t limit,
                                 const std::string& state = "");
  // Every trial of a sweep, following pages.
  StatusOr<std::vector<Trial>> AllTrials(uint64_t sweep_id);
  StatusOr<Trial> BestTrial(uint64_t sweep_id);
  // The non-dominated feasible trials (GET /api/v1/sweeps/{id}/pareto).
  StatusOr<TrialPage> ParetoTrials(uint64_t sweep_id);
  StatusOr<Trial> GetTrial(uint64_t trial_id);
  StatusOr<std::vector<MetricPoint>> TrialMetrics(uint64_t trial_id);

  StatusOr<AskResponse> Ask(const AskRequest& request);
  StatusOr<Decision> Heartbeat(uint64_t trial_id, const std::string& client_id);
  StatusOr<Decision> Report(uint64_t trial_id, const ReportRequest& request);
  StatusOr<Trial> Complete(uint64_t trial_id, const CompleteRequest& request);
  // Cuts request.error to kMaxErrorBytes of well-formed UTF-8 before sending.
  StatusOr<Trial> Fail(uint64_t trial_id, const FailRequest& request);
  StatusOr<Trial> Release(uint64_t trial_id, const std::string& client_id);
  Status UploadCheckpoint(uint64_t trial_id, int64_t step, const std::string& client_id,
                          const std::string& bytes);
  // The checkpoint at `step` (< 0: the latest) and its step. NOT_FOUND when none.
  StatusOr<std::pair<int64_t, std::string>> DownloadCheckpoint(uint64_t trial_id, int64_t step);

  StatusOr<WorkerList> ListWorkers();
  StatusOr<std::string> MetricsText();

  const std::string& url() const { return http_->base_url(); }

 private:
  explicit CoordinatorClient(std::unique_ptr<HttpClient> http) : http_(std::move(http)) {}
  // Sends and decodes a JSON reply; error statuses become their Status.
  StatusOr<Json> Call(std::string_view method, const std::string& target, const Json* body);

  std::unique_ptr<HttpClient> http_;
};

}  // namespace hpsweep::proto

#endif  // HPSWEEP_PROTO_API_CLIENT_H_
