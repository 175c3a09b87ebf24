// Parsing of a sweep file's objectives (`metric` or `metrics`) and outcome
// constraints (`constraints`); part of the sweep_spec library, split out of
// sweep_spec.cc to keep that file small.
#ifndef HPSWEEP_PROTO_SWEEP_OBJECTIVES_H_
#define HPSWEEP_PROTO_SWEEP_OBJECTIVES_H_

#include "common/status.h"
#include "proto/json_reader.h"
#include "proto/sweep_spec.h"

namespace hpsweep::proto::internal {

// Reads `metric` or `metrics` (exactly one must be present) and the optional
// `constraints` of the sweep object `r` into spec->metric, spec->objectives
// and spec->constraints. Errors name the field (e.g. "/metrics/1/goal",
// "/constraints/0/op").
Status ParseObjectives(JsonReader& r, SweepSpec* spec);

// Adds the canonical `metric` or `metrics`, and `constraints` when there are
// any, to `out`: a single-objective sweep keeps the stored form it always had.
void ObjectivesToJson(const SweepSpec& spec, Json* out);

}  // namespace hpsweep::proto::internal

#endif  // HPSWEEP_PROTO_SWEEP_OBJECTIVES_H_
