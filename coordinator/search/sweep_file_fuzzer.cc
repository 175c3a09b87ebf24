// Fuzz target: a sweep file as the coordinator takes it (ParseJsonText, then
// ParseSweepSpec, then its SearchSpace). Whatever the input: nothing throws
// or crashes; a refusal is INVALID_ARGUMENT with a UTF-8 message; an accepted
// sweep survives its stored form unchanged (what restarts read back), its
// search space builds, and every point it samples or enumerates is finite,
// within its bounds, storable, and encodes back into the space.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/utf8.h"
#include "coordinator/search/search_space.h"
#include "proto/json_reader.h"
#include "proto/sweep_spec.h"
#include "tests/fuzz/fuzz_check.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

void CheckPoint(const SearchSpace& space, const Json& point) {
  for (const proto::ParameterSpec& p : space.spec().parameters) {
    auto it = point.find(p.name);
    if (it == point.end()) {
      FUZZ_CHECK(p.condition.has_value(), "an unconditional parameter is missing: " + p.name);
      continue;
    }
    if (!p.IsNumeric()) continue;
    FUZZ_CHECK(it->is_number(), p.name + " is not a number");
    const double v = it->get<double>();
    FUZZ_CHECK(std::isfinite(v), p.name + " is not finite");
    FUZZ_CHECK(v >= p.min && v <= p.max, p.name + " = " + it->dump() + " is out of bounds");
    if (p.IsInteger()) FUZZ_CHECK(it->is_number_integer(), p.name + " is not an integer");
  }
  const std::string stored = point.dump();  // strict, as the store encodes
  auto again = proto::ParseJsonText(stored);
  FUZZ_CHECK(again.ok() && *again == point, "a sampled point does not read back");
  std::vector<double> u;
  std::vector<bool> active;
  Status encoded = space.Encode(point, &u, &active);
  FUZZ_CHECK(encoded.ok(), encoded.ToString());
}

}  // namespace
}  // namespace hpsweep::coordinator

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hpsweep;
  using namespace hpsweep::coordinator;
  StatusOr<proto::Json> json = proto::ParseJsonText(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!json.ok()) return 0;
  StatusOr<proto::SweepSpec> spec = proto::ParseSweepSpec(*json);
  if (!spec.ok()) {
    FUZZ_CHECK(spec.status().code() == StatusCode::kInvalidArgument, spec.status().ToString());
    FUZZ_CHECK(IsValidUtf8(spec.status().message()) && IsValidUtf8(spec.status().field()),
               "the refusal is not UTF-8");
    return 0;
  }
  // The stored form reads back to the same sweep.
  const proto::Json canonical = proto::ToJson(*spec);
  StatusOr<proto::Json> stored = proto::ParseJsonText(canonical.dump(), {proto::kMaxWrittenJsonDepth});
  FUZZ_CHECK(stored.ok(), stored.status().ToString());
  StatusOr<proto::SweepSpec> reread = proto::ParseSweepSpec(*stored);
  FUZZ_CHECK(reread.ok(), "an accepted sweep does not decode again: " + reread.status().ToString());
  FUZZ_CHECK(proto::ToJson(*reread) == canonical, "the stored sweep reads back differently");

  StatusOr<SearchSpace> space = SearchSpace::Create(*spec);
  FUZZ_CHECK(space.ok(), space.status().ToString());
  const int dims = space->dimensions();
  // Corners, the middle, and coordinates taken from the input itself.
  for (double fill : {0.0, 0.5, 1.0, 1e-300, 1.0 - 1e-16}) {
    CheckPoint(*space, space->Decode(std::vector<double>(dims, fill)));
  }
  std::vector<double> u(dims, 0.5);
  for (int i = 0; i < dims && static_cast<size_t>(i) < size; ++i) u[i] = data[i] / 255.0;
  CheckPoint(*space, space->Decode(u));
  const int64_t grid = space->GridSize(proto::kMaxGridSize);
  FUZZ_CHECK(grid >= 1, "an empty grid");
  if (grid <= proto::kMaxGridSize) {
    for (int64_t i : {int64_t{0}, grid / 3, grid / 2, grid - 1}) CheckPoint(*space, space->GridPoint(i));
  }
  return 0;
}
