#include "proto/api_client.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "common/utf8.h"

namespace hpsweep::proto {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  return line;
}

// A reply body as its proto/ type. A body that does not read as one is
// INTERNAL (the coordinator broke the API contract, retrying will not help)
// with the offending field's pointer kept, e.g. "/sweeps/3/state".
template <typename T>
StatusOr<T> Decode(const StatusOr<Json>& json) {
  if (!json.ok()) return json.status();
  T value;
  Status s = FromJson(*json, &value);
  if (!s.ok()) {
    return Status(StatusCode::kInternal,
                  "unexpected reply from the coordinator: " + s.message(), s.field());
  }
  return value;
}

// A reply body as JSON (the coordinator's replies nest client values below
// their own root); a discarded value when it is not JSON.
Json ParseReply(const std::string& body) {
  StatusOr<Json> json = ParseJsonText(body, {kMaxWrittenJsonDepth});
  return json.ok() ? *std::move(json) : Json(Json::value_t::discarded);
}

// The step a checkpoint download's X-Checkpoint-Step header names: a whole
// number >= 0, else INTERNAL naming the header.
StatusOr<int64_t> CheckpointStepHeader(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const long long step = text.empty() ? -1 : std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || end != text.c_str() + text.size() || step < 0 ||
      !std::isdigit(static_cast<unsigned char>(text[0]))) {
    return InternalError(
        "unexpected reply from the coordinator: header X-Checkpoint-Step is not a step: \"" +
        text + "\"");
  }
  return static_cast<int64_t>(step);
}

}  // namespace

StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    const int err = errno;
    std::string message = "cannot read the token file " + path + ": " + std::strerror(err);
    if (err == EACCES) return PermissionDeniedError(std::move(message));
    return NotFoundError(std::move(message));
  }
  std::string line;
  std::getline(in, line);
  const size_t begin = line.find_first_not_of(" \t\r\n");
  const size_t end = line.find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    return InvalidArgumentError("the token file " + path + " is empty", "token_file");
  }
  return line.substr(begin, end - begin + 1);
}

StatusOr<Connection> ResolveConnection(const std::string& url_flag, const std::string& token_flag,
                                       const std::string& data_dir_flag,
                                       const std::string& token_file_flag) {
  Connection c;
  std::string data_dir = data_dir_flag;
  if (data_dir.empty()) {
    if (const char* env = std::getenv("HPSWEEP_DATA_DIR")) data_dir = env;
  }
  c.url = url_flag;
  if (c.url.empty()) {
    if (const char* env = std::getenv("HPSWEEP_URL")) c.url = env;
  }
  if (c.url.empty() && !data_dir.empty()) c.url = ReadFirstLine(data_dir + "/endpoint");
  c.token = token_flag;
  if (c.token.empty() && !token_file_flag.empty()) {
    HPS_ASSIGN_OR_RETURN(c.token, ReadTokenFile(token_file_flag));
  }
  if (c.token.empty()) {
    if (const char* env = std::getenv("HPSWEEP_TOKEN")) c.token = env;
  }
  if (c.token.empty()) {
    if (const char* env = std::getenv("HPSWEEP_TOKEN_FILE"); env && *env) {
      HPS_ASSIGN_OR_RETURN(c.token, ReadTokenFile(env));
    }
  }
  if (c.token.empty() && !data_dir.empty()) c.token = ReadFirstLine(data_dir + "/token");
  if (c.url.empty()) {
    return NotFoundError(
        "no coordinator URL: pass --url http://HOST:PORT, set HPSWEEP_URL, or pass --data-dir of "
        "a running coordinator");
  }
  return c;
}

StatusOr<std::unique_ptr<CoordinatorClient>> CoordinatorClient::Create(const Connection& connection,
                                                                       HttpClientOptions options) {
  HPS_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http,
                       HttpClient::Create(connection.url, connection.token, options));
  return std::unique_ptr<CoordinatorClient>(new CoordinatorClient(std::move(http)));
}

StatusOr<Json> CoordinatorClient::Call(std::string_view method, const std::string& target,
                                       const Json* body) {
  HPS_ASSIGN_OR_RETURN(HttpReply reply, http_->Send(method, target, body ? DumpJson(*body) : ""));
  Json json = ParseReply(reply.body);
  if (reply.status >= 400) {
    if (json.is_discarded()) {
      return Status(reply.status == 404 ? StatusCode::kNotFound : StatusCode::kInternal,
                    "HTTP " + std::to_string(reply.status) + " from " + target);
    }
    return StatusFromErrorJson(json, reply.status);
  }
  if (json.is_discarded()) return InternalError("the coordinator sent a reply that is not JSON");
  return json;
}

StatusOr<Sweep> CoordinatorClient::CreateSweep(const Json& spec) {
  return Decode<Sweep>(Call("POST", "/api/v1/sweeps", &spec));
}

StatusOr<std::vector<Sweep>> CoordinatorClient::ListSweeps() {
  HPS_ASSIGN_OR_RETURN(SweepList list, Decode<SweepList>(Call("GET", "/api/v1/sweeps", nullptr)));
  return std::move(list.sweeps);
}

StatusOr<Sweep> CoordinatorClient::GetSweep(uint64_t id) {
  return Decode<Sweep>(Call("GET", "/api/v1/sweeps/" + std::to_string(id), nullptr));
}

StatusOr<Sweep> CoordinatorClient::RetrySweep(uint64_t id) {
  const Json empty = Json::object();
  return Decode<Sweep>(Call("POST", "/api/v1/sweeps/" + std::to_string(id) + "/retry", &empty));
}

StatusOr<Sweep> CoordinatorClient::CancelSweep(uint64_t id) {
  const Json empty = Json::object();
  return Decode<Sweep>(Call("POST", "/api/v1/sweeps/" + std::to_string(id) + "/cancel", &empty));
}

StatusOr<TrialPage> CoordinatorClient::ListTrials(uint64_t sweep_id, const std::string& page_token,
                                                  int64_t limit, const std::string& state) {
  std::string target = "/api/v1/sweeps/" + std::to_string(sweep_id) +
                       "/trials?limit=" + std::to_string(limit);
  if (!page_token.empty()) target += "&page_token=" + page_token;
  if (!state.empty()) target += "&state=" + state;
  return Decode<TrialPage>(Call("GET", target, nullptr));
}

StatusOr<std::vector<Trial>> CoordinatorClient::AllTrials(uint64_t sweep_id) {
  std::vector<Trial> out;
  std::string token;
  do {
    HPS_ASSIGN_OR_RETURN(TrialPage page, ListTrials(sweep_id, token, 1000));
    for (Trial& t : page.trials) out.push_back(std::move(t));
    token = page.next_page_token;
  } while (!token.empty());
  return out;
}

StatusOr<Trial> CoordinatorClient::BestTrial(uint64_t sweep_id) {
  return Decode<Trial>(Call("GET", "/api/v1/sweeps/" + std::to_string(sweep_id) + "/best", nullptr));
}

StatusOr<TrialPage> CoordinatorClient::ParetoTrials(uint64_t sweep_id) {
  return Decode<TrialPage>(
      Call("GET", "/api/v1/sweeps/" + std::to_string(sweep_id) + "/pareto", nullptr));
}

StatusOr<Trial> CoordinatorClient::GetTrial(uint64_t id) {
  return Decode<Trial>(Call("GET", "/api/v1/trials/" + std::to_string(id), nullptr));
}

StatusOr<std::vector<MetricPoint>> CoordinatorClient::TrialMetrics(uint64_t id) {
  HPS_ASSIGN_OR_RETURN(
      proto::TrialMetrics metrics,
      Decode<proto::TrialMetrics>(
          Call("GET", "/api/v1/trials/" + std::to_string(id) + "/metrics", nullptr)));
  if (metrics.trial_id != id) {
    return Status(StatusCode::kInternal,
                  "unexpected reply from the coordinator: metrics of trial " +
                      std::to_string(metrics.trial_id) + " for trial " + std::to_string(id),
                  "/trial_id");
  }
  return std::move(metrics.points);
}

StatusOr<AskResponse> CoordinatorClient::Ask(const AskRequest& request) {
  const Json body = ToJson(request);
  return Decode<AskResponse>(Call("POST", "/api/v1/ask", &body));
}

StatusOr<Decision> CoordinatorClient::Heartbeat(uint64_t id, const std::string& client_id) {
  const Json body = ToJson(HeartbeatRequest{client_id});
  return Decode<Decision>(Call("POST", "/api/v1/trials/" + std::to_string(id) + "/heartbeat", &body));
}

StatusOr<Decision> CoordinatorClient::Report(uint64_t id, const ReportRequest& request) {
  const Json body = ToJson(request);
  return Decode<Decision>(Call("POST", "/api/v1/trials/" + std::to_string(id) + "/report", &body));
}

StatusOr<Trial> CoordinatorClient::Complete(uint64_t id, const CompleteRequest& request) {
  const Json body = ToJson(request);
  return Decode<Trial>(Call("POST", "/api/v1/trials/" + std::to_string(id) + "/complete", &body));
}

StatusOr<Trial> CoordinatorClient::Fail(uint64_t id, const FailRequest& request) {
  // A training error (a traceback, a program's output) may be long or not
  // UTF-8; the coordinator takes at most kMaxErrorBytes of well-formed text.
  FailRequest sent = request;
  if (!IsValidUtf8(sent.error)) sent.error = QuoteForMessage(sent.error, kMaxErrorBytes - 16);
  sent.error = std::string(TruncateUtf8(sent.error, kMaxErrorBytes));
  const Json body = ToJson(sent);
  return Decode<Trial>(Call("POST", "/api/v1/trials/" + std::to_string(id) + "/fail", &body));
}

StatusOr<Trial> CoordinatorClient::Release(uint64_t id, const std::string& client_id) {
  const Json body = ToJson(HeartbeatRequest{client_id});
  return Decode<Trial>(Call("POST", "/api/v1/trials/" + std::to_string(id) + "/release", &body));
}

Status CoordinatorClient::UploadCheckpoint(uint64_t id, int64_t step, const std::string& client_id,
                                           const std::string& bytes) {
  const std::string target = "/api/v1/trials/" + std::to_string(id) + "/checkpoints/" +
                             std::to_string(step) + "?client_id=" + client_id;
  HPS_ASSIGN_OR_RETURN(HttpReply reply, http_->Send("PUT", target, bytes, "application/octet-stream"));
  if (reply.status >= 400) {
    return StatusFromErrorJson(ParseReply(reply.body), reply.status);
  }
  return Status();
}

StatusOr<std::pair<int64_t, std::string>> CoordinatorClient::DownloadCheckpoint(uint64_t id,
                                                                                int64_t step) {
  const std::string target = "/api/v1/trials/" + std::to_string(id) + "/checkpoints/" +
                             (step < 0 ? std::string("latest") : std::to_string(step));
  HPS_ASSIGN_OR_RETURN(HttpReply reply, http_->Send("GET", target));
  if (reply.status >= 400) {
    return StatusFromErrorJson(ParseReply(reply.body), reply.status);
  }
  HPS_ASSIGN_OR_RETURN(const int64_t got, CheckpointStepHeader(reply.headers["x-checkpoint-step"]));
  return std::make_pair(got, std::move(reply.body));
}

StatusOr<WorkerList> CoordinatorClient::ListWorkers() {
  return Decode<WorkerList>(Call("GET", "/api/v1/workers", nullptr));
}

StatusOr<std::string> CoordinatorClient::MetricsText() {
  HPS_ASSIGN_OR_RETURN(HttpReply reply, http_->Send("GET", "/metrics"));
  return reply.body;
}

}  // namespace hpsweep::proto
