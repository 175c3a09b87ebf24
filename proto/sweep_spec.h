// SweepSpec: a validated sweep definition, as submitted by a user.
//
// The JSON vocabulary follows W&B Sweeps / Determined / Optuna; the schema is
// documented in proto/sweep_schema.md. Parsing validates everything that can be
// checked without the model zoo and reports the first problem with the JSON
// pointer of the offending field, what was expected and what was found.
#ifndef HPSWEEP_PROTO_SWEEP_SPEC_H_
#define HPSWEEP_PROTO_SWEEP_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/json_reader.h"

namespace hpsweep::proto {

enum class Goal { kMinimize, kMaximize };
// kPbt: population-based training (coordinator/lifecycle/pbt.h): a random initial
// population, then children that start from better trials' checkpoints.
enum class Method { kGrid, kRandom, kSobol, kBayes, kTpe, kPbt };
enum class ParamKind {
  kUniform,        // float in [min, max]
  kLogUniform,     // float in [min, max], sampled uniformly in log space; min > 0
  kIntUniform,     // integer in [min, max]
  kIntLogUniform,  // integer in [min, max], log-spaced; min >= 1
  kCategorical,    // one of `values` (strings, numbers or booleans)
  kConstant,       // always `value`
};

// Limits of a sweep definition, documented in sweep_schema.md ("Limits").
// They bound what one sweep costs every later reply and restart: a trial's
// parameters are repeated in every ask and trials page.
inline constexpr size_t kMaxSweepNameBytes = 200;
// Parameter names and metric names (also the keys of reported values).
inline constexpr size_t kMaxNameBytes = 128;
inline constexpr size_t kMaxParameters = 256;
// Values of one categorical parameter, and of one condition.
inline constexpr size_t kMaxValues = 1024;
// One categorical, constant or condition value, as compact JSON text.
inline constexpr size_t kMaxValueBytes = 1024;
// One trial's parameters as JSON, worst case over the space.
inline constexpr size_t kMaxParamsBytes = 64 * 1024;
// `program.args`, `method_options` and `early_terminate`, each as JSON text.
inline constexpr size_t kMaxBlockBytes = 64 * 1024;
inline constexpr size_t kMaxModelNameBytes = 200;
// Integer bounds stay within ±2^53: every integer there is exact as a double
// (how the search space computes) and as a JSON number in any client.
inline constexpr double kMaxIntBound = 9007199254740992.0;
// Default of SweepSpec::max_consecutive_failures: enough to tell "every trial
// fails the same way" (a wrong path, a metric never reported) from a few
// diverging configurations, without spending a sweep's budget on it.
inline constexpr int64_t kDefaultMaxConsecutiveFailures = 5;
// Largest grid a grid sweep may enumerate.
inline constexpr int64_t kMaxGridSize = 10'000'000;

std::string_view GoalName(Goal goal);
std::string_view MethodName(Method method);
std::string_view ParamKindName(ParamKind kind);

// A parameter that exists only when `parent` takes one of `values`.
struct Condition {
  std::string parent;
  std::vector<Json> values;
};

struct ParameterSpec {
  std::string name;
  ParamKind kind = ParamKind::kUniform;
  double min = 0;  // numeric kinds
  double max = 0;  // numeric kinds
  std::vector<Json> values;  // kCategorical
  Json value;                // kConstant
  // Points per continuous axis when the method is grid. Default: 5.
  int grid_points = 5;
  std::optional<Condition> condition;

  bool IsNumeric() const { return kind != ParamKind::kCategorical && kind != ParamKind::kConstant; }
  bool IsInteger() const { return kind == ParamKind::kIntUniform || kind == ParamKind::kIntLogUniform; }
};

struct MetricSpec {
  std::string name;
  Goal goal = Goal::kMinimize;
};

// Most objectives and outcome constraints one sweep may have.
inline constexpr size_t kMaxObjectives = 8;
inline constexpr size_t kMaxConstraints = 16;

// An outcome constraint: a completed trial is feasible when its final value
// of `metric` satisfies `metric <= bound` (kAtMost) or `metric >= bound`
// (kAtLeast). Written `{"metric": "mem_gb", "op": "<=", "bound": 4}` or
// `"mem_gb <= 4"` in a sweep file.
struct ConstraintSpec {
  enum class Op { kAtMost, kAtLeast };
  std::string metric;
  Op op = Op::kAtMost;
  double bound = 0;
};
// Limits of a command program (sweep_schema.md, "Command programs").
inline constexpr size_t kMaxCommandArgs = 1024;
inline constexpr size_t kMaxCommandArgBytes = 4096;
inline constexpr size_t kMaxCommandEnv = 256;
inline constexpr double kMaxStopGraceSeconds = 3600;

// What runs a trial: a model from models/ with fixed arguments (trained by
// hpsweep workers), the user's own command (run by a worker's gang, one
// process per rank; worker/command_program.h), or an external program that
// asks/tells over HTTP. Exactly one of `external`, `model`, `command`.
struct ProgramSpec {
  bool external = false;
  // Training precision on the workers: "fp32", or "bf16" (bf16 autocast
  // around each forward pass, fp32 weights; worker/autocast.h). Default: "fp32".
  std::string precision = "fp32";
  std::string model;            // a model program
  Json args = Json::object();   // model programs: fixed hyperparameters merged under the sampled ones
  // A command program: argv, with "${args}" (a whole element: --name=value
  // per active parameter) and "${name}" (one parameter's value) expanded per
  // trial. Empty for the other kinds.
  std::vector<std::string> command;
  // Folder the command runs in; relative to the worker's --base-dir (`hpsweep
  // run`: the sweep file's folder). Default: "" (the base dir itself).
  std::string workdir;
  // Extra environment variables for the command (string values). Default: {}.
  Json env = Json::object();
  // After SIGTERM to a stopped command's process group, SIGKILL follows this
  // much later. Default: 10.
  double stop_grace_seconds = 10;

  bool IsCommand() const { return !command.empty(); }
};

struct SweepSpec {
  std::string name;
  // The objective; for a multi-objective sweep the first of `objectives`
  // (what `best`, progress lines and early-stopping policies use).
  MetricSpec metric;
  // Every objective, in order, when there are two or more (the file's
  // `metrics` list); empty for a single-objective sweep. objectives[0] ==
  // metric. Default: empty.
  std::vector<MetricSpec> objectives;
  // Outcome constraints (any number of objectives). Default: empty.
  std::vector<ConstraintSpec> constraints;
  Method method = Method::kRandom;
  // Sorted so that a parent precedes its conditional children.
  std::vector<ParameterSpec> parameters;
  // Default: 50 for sampling methods; 0 (the whole grid) for grid.
  int64_t max_trials = 0;
  // 0 means no limit. Default: 0.
  int64_t max_concurrent_trials = 0;
  // How many times a trial whose lease expired is re-run. Default: 3.
  int64_t max_restarts = 3;
  // Fail-fast: the sweep fails once this many trials in a row have failed
  // with no trial completing (or being pruned) in between; 0 never stops.
  // Default: kDefaultMaxConsecutiveFailures.
  int64_t max_consecutive_failures = kDefaultMaxConsecutiveFailures;
  // Checkpoint retention: each trial keeps its latest this many checkpoints
  // (older ones are deleted as new ones arrive), so a trial can always
  // resume and every completed trial keeps its final model. Default: 1.
  int64_t keep_checkpoints = 1;
  // Default: 0.
  uint64_t seed = 0;
  ProgramSpec program;
  // Default: 1.
  int64_t ranks_per_trial = 1;
  // Stored as given; the coordinator validates it with ParseEarlyTerminate
  // (early_terminate.h) when the sweep is created, as it does method_options
  // with the searcher. Default: null (no early stopping).
  Json early_terminate;
  // Searcher-specific settings (e.g. {"n_initial": 10} for bayes). Default: {}.
  Json method_options = Json::object();
};

// Validates and parses a sweep definition. Errors are INVALID_ARGUMENT with the
// field's JSON pointer.
StatusOr<SweepSpec> ParseSweepSpec(const Json& json);
// The canonical JSON form; ParseSweepSpec(ToJson(s)) == s.
Json ToJson(const SweepSpec& spec);
// What a NEW sweep must also satisfy: no control characters (C0, DEL, C1) in
// the names a terminal shows — the sweep's, its parameters' and its
// metrics' (INVALID_ARGUMENT naming the field). Not part of ParseSweepSpec,
// which also decodes stored sweeps: one stored by an earlier build stays
// readable.
Status RefuseControlCharactersInNames(const SweepSpec& spec);

// Parses and validates a "program" block on its own (as a LeasedTrial repeats
// it); ParseSweepSpec also checks that "${name}" names a parameter.
Status ParseProgramSpec(const Json& json, ProgramSpec* out);

// The JSON forms of the blocks a LeasedTrial repeats to workers.
Json ToJson(const MetricSpec& metric);
Json ToJson(const ProgramSpec& program);

// Every objective of `spec`: `objectives`, or {metric} when that is empty.
std::vector<MetricSpec> Objectives(const SweepSpec& spec);
bool IsMultiObjective(const SweepSpec& spec);
// The metrics a completed trial must carry: every objective, then every
// constraint metric that is not an objective, each once.
std::vector<std::string> RequiredMetrics(const SweepSpec& spec);
// "<=" or ">=".
std::string_view ConstraintOpName(ConstraintSpec::Op op);
// Whether `value` satisfies `constraint` (NaN never does).
bool Satisfies(const ConstraintSpec& constraint, double value);
Json ToJson(const ConstraintSpec& constraint);

// The parameter named `name`, or nullptr.
const ParameterSpec* FindParameter(const SweepSpec& spec, const std::string& name);

}  // namespace hpsweep::proto

#endif  // HPSWEEP_PROTO_SWEEP_SPEC_H_
