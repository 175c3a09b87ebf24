// Fuzz target: ParseJsonText, the one reader of every JSON document. Whatever
// the input, it returns (no exception, no stack overflow); an error is
// INVALID_ARGUMENT whose message and field are valid UTF-8; a document it
// accepts is one nlohmann accepts too, is at most kMaxJsonDepth deep, holds
// only valid UTF-8 and finite numbers (so a strict dump never throws), and
// reads back to itself.
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/utf8.h"
#include "proto/json_reader.h"
#include "tests/fuzz/fuzz_check.h"

namespace hpsweep::proto {
namespace {

// Checks strings, numbers and depth without recursion.
void CheckTree(const Json& root) {
  std::vector<std::pair<const Json*, int>> stack = {{&root, 0}};
  while (!stack.empty()) {
    auto [value, depth] = stack.back();
    stack.pop_back();
    if (value->is_string()) {
      FUZZ_CHECK(IsValidUtf8(value->get_ref<const std::string&>()), "a string is not UTF-8");
    } else if (value->is_number_float()) {
      FUZZ_CHECK(std::isfinite(value->get<double>()), "a number is not finite");
    } else if (value->is_object() || value->is_array()) {
      FUZZ_CHECK(depth < kMaxJsonDepth, "nesting beyond the limit");
      for (auto it = value->begin(); it != value->end(); ++it) {
        if (value->is_object()) FUZZ_CHECK(IsValidUtf8(it.key()), "a key is not UTF-8");
        stack.push_back({&*it, depth + 1});
      }
    }
  }
}

void ReadTypedFields(const Json& json) {
  if (!json.is_object()) return;
  JsonReader r(json, "");
  for (auto it = json.begin(); it != json.end(); ++it) {
    std::string s;
    double d = 0;
    int64_t i = 0;
    uint64_t u = 0;
    bool b = false;
    r.OptionalString(it.key(), &s).IgnoreError();
    r.OptionalDouble(it.key(), &d).IgnoreError();
    r.OptionalInt(it.key(), &i).IgnoreError();
    r.OptionalUint(it.key(), &u).IgnoreError();
    r.OptionalBool(it.key(), &b).IgnoreError();
    FUZZ_CHECK(IsValidUtf8(DescribeJson(it.value())), "DescribeJson made ill-formed UTF-8");
  }
  Status unknown = r.NoOtherKeys();
  FUZZ_CHECK(unknown.ok(), unknown.ToString());
}

}  // namespace
}  // namespace hpsweep::proto

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hpsweep::proto;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hpsweep::StatusOr<Json> parsed = ParseJsonText(text);
  if (!parsed.ok()) {
    const hpsweep::Status& s = parsed.status();
    FUZZ_CHECK(s.code() == hpsweep::StatusCode::kInvalidArgument, s.ToString());
    FUZZ_CHECK(hpsweep::IsValidUtf8(s.message()), "error message is not UTF-8");
    FUZZ_CHECK(hpsweep::IsValidUtf8(s.field()), "error field is not UTF-8");
    return 0;
  }
  FUZZ_CHECK(Json::accept(text), "accepted what nlohmann does not");
  CheckTree(*parsed);
  const std::string dumped = parsed->dump();  // strict: would throw on bad UTF-8
  FUZZ_CHECK(DumpJson(*parsed) == dumped, "DumpJson differs from a strict dump");
  hpsweep::StatusOr<Json> again = ParseJsonText(dumped);
  FUZZ_CHECK(again.ok(), again.status().ToString());
  FUZZ_CHECK(*again == *parsed, "a dumped document reads back differently");
  ReadTypedFields(*parsed);
  return 0;
}
