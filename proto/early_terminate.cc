#include "proto/early_terminate.h"

#include <cmath>
#include <string>

namespace hpsweep::proto {
namespace {

std::string Num(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// A whole number of steps >= `least` (a W&B iteration count).
Status Steps(JsonReader& r, std::string_view key, double least, double* out) {
  if (!r.Has(key)) return Status();
  HPS_RETURN_IF_ERROR(r.Double(key, out));
  if (!(*out >= least) || *out > 1e15 || std::floor(*out) != *out) {
    return r.Error(key, "expected a whole number of steps >= " + Num(least) + ", found " +
                            DescribeJson(r.json()[std::string(key)]));
  }
  return Status();
}

Status ParseHalving(JsonReader& r, bool hyperband, EarlyTerminateSpec* out) {
  if (r.Has("eta")) {
    HPS_RETURN_IF_ERROR(r.Double("eta", &out->eta));
    if (!(out->eta >= 2) || out->eta > 1000) {
      return r.Error("eta", "expected a reduction factor in [2, 1000], found " +
                                DescribeJson(r.json()["eta"]));
    }
  }
  HPS_RETURN_IF_ERROR(Steps(r, "max_iter", 1, &out->max_iter));
  const bool has_s = hyperband && r.Has("s");
  if (has_s) {
    // W&B's second form: max_iter and s brackets below it; min_iter follows.
    int64_t s = 0;
    HPS_RETURN_IF_ERROR(r.Int("s", &s));
    if (r.Has("min_iter")) {
      return r.Error("min_iter", "give either min_iter, or max_iter with s, not both");
    }
    if (out->max_iter == 0) return r.Error("max_iter", "required with \"s\"");
    if (s < 1 || s > 60) return r.Error("s", "expected an integer in [1, 60], found " + std::to_string(s));
    out->min_iter = out->max_iter / std::pow(out->eta, static_cast<double>(s));
    if (out->min_iter < 1) {
      return r.Error("s", "max_iter / eta^s = " + Num(out->min_iter) +
                              " is below one step; use a smaller s or eta");
    }
  } else {
    HPS_RETURN_IF_ERROR(Steps(r, "min_iter", 1, &out->min_iter));
  }
  if (out->max_iter != 0 && out->max_iter <= out->min_iter) {
    return r.Error("max_iter", "expected more steps than min_iter (" + Num(out->min_iter) +
                                   "), found " + Num(out->max_iter));
  }
  if (!hyperband) {
    out->brackets = 1;
    return Status();
  }
  if (out->max_iter > 0) {
    // One bracket per milestone min_iter * eta^b below max_iter (its first
    // rung), plus the one that trains every trial in full, as Hyperband's
    // s = 0 bracket does. Counting milestones up to max_iter instead (s_max
    // + 1 = floor(log_eta(max_iter / min_iter)) + 1, Optuna's count) drops
    // that bracket whenever max_iter is not min_iter * eta^k: with max_iter
    // 10 the last bracket would stop two thirds of its trials at step 9.
    out->brackets = 1;
    for (double rung = out->min_iter; rung < out->max_iter * (1 - 1e-12); rung *= out->eta) {
      ++out->brackets;
    }
  } else {
    out->brackets = 3;
  }
  if (r.Has("brackets")) {
    HPS_RETURN_IF_ERROR(r.Int("brackets", &out->brackets));
    if (out->brackets < 1 || out->brackets > 20) {
      return r.Error("brackets",
                     "expected an integer in [1, 20], found " + std::to_string(out->brackets));
    }
  }
  return Status();
}

Status ParseMedian(JsonReader& r, EarlyTerminateSpec* out) {
  HPS_RETURN_IF_ERROR(r.OptionalInt("warmup_steps", &out->warmup_steps));
  if (out->warmup_steps < 0) {
    return r.Error("warmup_steps", "expected an integer >= 0, found " +
                                       std::to_string(out->warmup_steps));
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("min_trials", &out->min_trials));
  if (out->min_trials < 1 || out->min_trials > 1000000) {
    return r.Error("min_trials", "expected an integer in [1, 1000000], found " +
                                     std::to_string(out->min_trials));
  }
  return Status();
}

}  // namespace

std::string_view StopPolicyName(StopPolicy policy) {
  switch (policy) {
    case StopPolicy::kAsha:
      return "asha";
    case StopPolicy::kHyperband:
      return "hyperband";
    case StopPolicy::kMedian:
      return "median";
    case StopPolicy::kNone:
      break;
  }
  return "none";
}

StatusOr<EarlyTerminateSpec> ParseEarlyTerminate(const Json& json) {
  EarlyTerminateSpec spec;
  if (json.is_null()) return spec;
  JsonReader r(json, "/early_terminate");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  std::string type;
  HPS_RETURN_IF_ERROR(r.String("type", &type));
  if (type == "asha") {
    spec.type = StopPolicy::kAsha;
    HPS_RETURN_IF_ERROR(ParseHalving(r, /*hyperband=*/false, &spec));
  } else if (type == "hyperband") {
    spec.type = StopPolicy::kHyperband;
    HPS_RETURN_IF_ERROR(ParseHalving(r, /*hyperband=*/true, &spec));
  } else if (type == "median") {
    spec.type = StopPolicy::kMedian;
    HPS_RETURN_IF_ERROR(ParseMedian(r, &spec));
  } else {
    return r.Error("type", "expected one of asha, hyperband, median, found " + DescribeJson(type));
  }
  HPS_RETURN_IF_ERROR(r.NoOtherKeys());
  return spec;
}

}  // namespace hpsweep::proto
