// The coordinator's data model and every HTTP/JSON message of API v1.
//
// Each struct has `Json ToJson(const T&)` and `Status FromJson(const Json&,
// T*)`; FromJson validates types and names the offending field. Nothing outside
// proto/ builds API JSON by hand. proto/openapi.yaml documents the endpoints.
#ifndef HPSWEEP_PROTO_MESSAGES_H_
#define HPSWEEP_PROTO_MESSAGES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/json_reader.h"
#include "proto/sweep_spec.h"

namespace hpsweep::proto {

// Trial lifecycle:
//
//   pending ──ask──▶ leased ──report──▶ running ──complete──▶ completed
//      ▲               │                  │ │
//      └─lease expired─┴──────────────────┘ ├──fail──▶ failed
//        (attempt < max_restarts;           ├──stop answered──▶ pruned
//         else failed)                      └──sweep cancelled──▶ cancelled
enum class TrialState { kPending, kLeased, kRunning, kCompleted, kFailed, kPruned, kCancelled };
// Sweep lifecycle: pending ─▶ running ─▶ completed | cancelled | failed.
enum class SweepState { kPending, kRunning, kCompleted, kCancelled, kFailed };

std::string_view TrialStateName(TrialState state);
std::optional<TrialState> TrialStateFromName(std::string_view name);
std::string_view SweepStateName(SweepState state);
bool IsTerminal(TrialState state);
bool IsTerminal(SweepState state);

// Metric values by name.
using Values = std::map<std::string, double>;

// How a trial's parameters were chosen (provenance), recorded when it is
// created. Older records without it decode with an empty `source`.
struct TrialOrigin {
  // "grid", "random", "sobol": the sweep's non-model searchers.
  // "initial_design": a model searcher's space-filling start (Sobol).
  // "model": proposed by the searcher's model (see `model`).
  // "fallback": a quasi-random point served because no fresh model
  //   suggestion came within the sweep's wait bound (see `reason`).
  // "pbt": a population-based-training child (see Trial::parent).
  std::string source;
  // The searcher's model, set for bayes and tpe sweeps (else empty): "gp"
  // (bayes, one objective) or "qparego" (bayes with several objectives or
  // outcome constraints); "tpe" or "motpe" (tpe, likewise).
  std::string model;
  int64_t observations = -1;       // finished trials the suggestion was computed from
  int64_t pending = -1;            // trials in flight it accounted for
  double wait_seconds = 0;         // how long the ask waited for it
  std::string reason;              // why a fallback was served
};
// Limits of API requests, documented in openapi.yaml; a request beyond them is
// 400 naming the field. Metric names share kMaxNameBytes (sweep_spec.h).
inline constexpr size_t kMaxClientIdBytes = 200;
// Metric values in one report or complete.
inline constexpr size_t kMaxValuesPerReport = 256;
// A fail's error text (clients cut longer texts; see CoordinatorClient::Fail).
inline constexpr size_t kMaxErrorBytes = 64 * 1024;

// Why the sweep's early-stopping policy stopped a trial (state pruned).
struct PruneInfo {
  int64_t step = -1;  // the reported step it was stopped at
  int64_t rung = -1;  // rung of its bracket (ASHA, Hyperband); -1 for median stopping and PBT
  std::string reason;
};

// A population-based-training child's lineage (method pbt;
// coordinator/lifecycle/pbt.h): the trial whose checkpoint it starts from and how its
// parameters were explored from that trial's.
struct TrialParent {
  uint64_t trial_id = 0;  // the parent: a top-quantile trial at the exploit
  // The parent's checkpoint the child starts from: its store key (a worker's
  // optimizer steps, like Trial::checkpoint_step).
  int64_t checkpoint_step = -1;
  // The reported step (epochs for the zoo) that checkpoint covers; the
  // child's first report is for the step after it.
  int64_t start_step = 0;
  // The bottom-quantile trial the child replaced (ended pruned). 0: none.
  uint64_t replaced_trial_id = 0;
  // Number of the lineage's first trial: workers seed data and
  // initialisation from it, so the child trains on its parent's data.
  uint64_t root_number = 0;
  // How explore changed the parameters, e.g. "lr 0.01 -> 0.012 (x1.2)".
  std::string explore;
};

struct Trial {
  uint64_t id = 0;
  uint64_t sweep_id = 0;
  // 0-based index of the trial within its sweep, in creation order.
  uint64_t number = 0;
  Json params = Json::object();
  TrialState state = TrialState::kPending;
  // 0 for the first run; incremented each time an expired lease requeues it.
  int64_t attempt = 0;
  std::string lease_owner;     // client id while leased/running
  int64_t lease_deadline_us = 0;
  int64_t lease_seconds = 0;   // lease length the owner asked for
  int64_t last_step = -1;      // highest reported step
  int64_t checkpoint_step = -1;  // latest stored checkpoint, -1 when none
  // The highest reported step (last_step) when that checkpoint was stored:
  // the reported step the checkpoint's training covers, in report units
  // (epochs for the zoo, whose workers report an epoch before checkpointing
  // its end). -1 when none. checkpoint_step stays the store key (optimizer
  // steps); this is what compares with last_step.
  int64_t checkpoint_report_step = -1;
  std::optional<TrialParent> parent;  // set on a PBT child
  std::optional<double> objective;  // the sweep metric's final value
  Values final_values;
  std::string error;
  TrialOrigin origin;
  std::optional<PruneInfo> prune;  // set when pruned
  int64_t created_us = 0;
  int64_t updated_us = 0;
};

struct SweepCounters {
  int64_t created = 0;
  int64_t pending = 0;
  int64_t running = 0;  // leased or running
  int64_t completed = 0;
  int64_t failed = 0;
  int64_t pruned = 0;
  int64_t cancelled = 0;
};

struct Sweep {
  uint64_t id = 0;
  SweepSpec spec;
  SweepState state = SweepState::kPending;
  SweepCounters counters;
  uint64_t best_trial_id = 0;  // 0 when no trial completed yet
  std::optional<double> best_value;
  int64_t created_us = 0;
  int64_t updated_us = 0;
  // Why the sweep ended `failed` (fail-fast); empty otherwise. Stored.
  std::string reason;
  // The trial that failed last and its error (derived from the trials, like
  // the counters); 0 and empty while none has failed.
  uint64_t last_failed_trial_id = 0;
  std::string last_failure;
};

struct MetricPoint {
  int64_t step = 0;
  Values values;
  int64_t time_us = 0;
};

struct Event {
  uint64_t seq = 0;
  int64_t time_us = 0;
  std::string type;  // "sweep_created", "trial_leased", "trial_completed", ...
  uint64_t sweep_id = 0;
  uint64_t trial_id = 0;
  std::string detail;
};

// --- API requests and responses -------------------------------------------

// POST /api/v1/ask
struct AskRequest {
  std::string client_id;        // required; stable per worker gang or client
  int64_t count = 1;            // trials wanted, 1..64
  uint64_t sweep_id = 0;        // 0: any sweep that fits `kind`
  std::string kind = "client";  // "worker" (runs models) or "client" (external ask/tell)
  int64_t lease_seconds = 60;   // heartbeat within this, 1..3600
  int64_t ranks = 1;            // ranks the asker trains with (workers)
};

struct LeasedTrial {
  Trial trial;
  MetricSpec metric;
  ProgramSpec program;
};

struct AskResponse {
  std::vector<LeasedTrial> trials;
  // True when no trial will ever be available for this request again (all
  // matching sweeps finished); false means "ask again later".
  bool done = false;
  double retry_after_seconds = 0;
};

// POST /api/v1/trials/{id}/heartbeat
struct HeartbeatRequest {
  std::string client_id;
};

// POST /api/v1/trials/{id}/report
struct ReportRequest {
  std::string client_id;
  int64_t step = 0;
  Values values;
};

// Answer to a report or heartbeat: keep going, or stop (pruned, cancelled).
struct Decision {
  bool stop = false;
  std::string reason;
  int64_t lease_deadline_us = 0;
};

// POST /api/v1/trials/{id}/complete
struct CompleteRequest {
  std::string client_id;
  Values values;  // final metrics; when the sweep metric is absent, the last reported value is used
};

// POST /api/v1/trials/{id}/fail
struct FailRequest {
  std::string client_id;
  std::string error;
};

struct TrialPage {
  std::vector<Trial> trials;
  std::string next_page_token;  // empty on the last page
};

struct ClientInfo {
  std::string client_id;
  std::string kind;
  int64_t last_seen_us = 0;
  std::vector<uint64_t> active_trials;
};

// GET /healthz
struct Health {
  // "ok", or "degraded" while storage refuses writes (reads are still served).
  std::string status = "ok";
  std::string reason;  // why writes are refused; only when degraded
};

// GET /api/v1/workers
struct WorkerList {
  std::vector<ClientInfo> workers;
};

// GET /api/v1/sweeps
struct SweepList {
  std::vector<Sweep> sweeps;
};

// GET /api/v1/trials/{id}/metrics
struct TrialMetrics {
  uint64_t trial_id = 0;
  std::vector<MetricPoint> points;  // in step order
};

// A stored checkpoint, as GET /api/v1/trials/{id}/checkpoints lists it.
struct CheckpointInfo {
  int64_t step = 0;
  uint64_t size_bytes = 0;
  int64_t time_us = 0;
};

// GET /api/v1/trials/{id}/checkpoints
struct CheckpointList {
  uint64_t trial_id = 0;
  std::vector<CheckpointInfo> checkpoints;  // in step order
};

// Answer to PUT /api/v1/trials/{id}/checkpoints/{step}.
struct CheckpointStored {
  uint64_t trial_id = 0;
  int64_t step = 0;
  uint64_t size_bytes = 0;
};

// {"error": {"code": "...", "message": "...", "field": "/json/pointer"}}
Json ErrorJson(const Status& status);
// The Status an error body describes; INTERNAL if `json` is not an error body.
Status StatusFromErrorJson(const Json& json, int http_status);

Json ToJson(const TrialOrigin& v);
Status FromJson(const Json& j, TrialOrigin* v);
Json ToJson(const TrialParent& v);
Status FromJson(const Json& j, TrialParent* v);
Json ToJson(const Trial& v);
Status FromJson(const Json& j, Trial* v);
Json ToJson(const SweepCounters& v);
Json ToJson(const Sweep& v);
Status FromJson(const Json& j, Sweep* v);
Json ToJson(const MetricPoint& v);
Status FromJson(const Json& j, MetricPoint* v);
Json ToJson(const Event& v);
Status FromJson(const Json& j, Event* v);

Json ToJson(const AskRequest& v);
Status FromJson(const Json& j, AskRequest* v);
Json ToJson(const LeasedTrial& v);
Json ToJson(const AskResponse& v);
Status FromJson(const Json& j, AskResponse* v);
Json ToJson(const HeartbeatRequest& v);
Status FromJson(const Json& j, HeartbeatRequest* v);
Json ToJson(const ReportRequest& v);
Status FromJson(const Json& j, ReportRequest* v);
Json ToJson(const Decision& v);
Status FromJson(const Json& j, Decision* v);
Json ToJson(const CompleteRequest& v);
Status FromJson(const Json& j, CompleteRequest* v);
Json ToJson(const FailRequest& v);
Status FromJson(const Json& j, FailRequest* v);
Json ToJson(const TrialPage& v);
Status FromJson(const Json& j, TrialPage* v);
Json ToJson(const ClientInfo& v);
Status FromJson(const Json& j, ClientInfo* v);
Json ToJson(const Health& v);
Status FromJson(const Json& j, Health* v);
Json ToJson(const WorkerList& v);
Status FromJson(const Json& j, WorkerList* v);
Json ToJson(const SweepList& v);
Status FromJson(const Json& j, SweepList* v);
Json ToJson(const TrialMetrics& v);
Status FromJson(const Json& j, TrialMetrics* v);
Json ToJson(const CheckpointInfo& v);
Status FromJson(const Json& j, CheckpointInfo* v);
Json ToJson(const CheckpointList& v);
Status FromJson(const Json& j, CheckpointList* v);
Json ToJson(const CheckpointStored& v);
Status FromJson(const Json& j, CheckpointStored* v);

}  // namespace hpsweep::proto

#endif  // HPSWEEP_PROTO_MESSAGES_H_
