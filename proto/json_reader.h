// JsonReader: typed, pointer-naming access to a JSON object, so that every
// message parser in proto/ reports bad input the same way:
//
//   INVALID_ARGUMENT "expected a number, found string \"abc\"" at /parameters/lr/min
//
// Usage:
//   JsonReader r(json, "/metric");
//   HPS_RETURN_IF_ERROR(r.RequireObject());
//   HPS_RETURN_IF_ERROR(r.String("name", &metric.name));            // required
//   HPS_RETURN_IF_ERROR(r.OptionalString("goal", &metric.goal));    // keeps default
//   HPS_RETURN_IF_ERROR(r.NoOtherKeys());                           // typo guard
//
// Thread safety: a JsonReader is used by one thread; it refers to `json`,
// which must outlive it.
#ifndef HPSWEEP_PROTO_JSON_READER_H_
#define HPSWEEP_PROTO_JSON_READER_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hpsweep::proto {

using Json = nlohmann::json;

// Deepest nesting of arrays and objects in a document a client sends (request
// bodies, sweep files). Documented in sweep_schema.md and openapi.yaml.
inline constexpr int kMaxJsonDepth = 64;
// Deepest nesting in a document the coordinator wrote itself (stored records,
// API responses): they embed client values a few levels below their own root.
inline constexpr int kMaxWrittenJsonDepth = 2 * kMaxJsonDepth;

struct JsonTextOptions {
  // Arrays and objects nested deeper than this are rejected before they are
  // built. Default: kMaxJsonDepth (64).
  int max_depth = kMaxJsonDepth;
};

// "string \"abc\"", "number 3", "an array", ... for error messages.
std::string DescribeJson(const Json& value);
// Escapes a key for use in a JSON pointer (RFC 6901: "~" -> "~0", "/" -> "~1").
std::string PointerToken(std::string_view key);

// The one JSON reader for every document hpsweep parses: request bodies,
// sweep files, stored records, API responses. INVALID_ARGUMENT, naming the
// JSON pointer where it happened, for malformed JSON, strings that are not
// well-formed UTF-8, numbers outside the range of a double (1e400), a key
// repeated within one object, and nesting deeper than options.max_depth. Never throws; never recurses per
// level of nesting (the result is at most max_depth deep, so destroying it is
// bounded too). On success every string in the result is valid UTF-8 and
// every number finite.
StatusOr<Json> ParseJsonText(std::string_view text, const JsonTextOptions& options = {});

// INVALID_ARGUMENT at `pointer`, "<what> must not contain control
// characters (found \"...\")", when `text` holds one (HasControlCharacter:
// C0, DEL, C1); OK otherwise. For names a terminal shows.
Status RefuseControlCharacters(std::string_view text, std::string_view what, std::string pointer);

// Compact JSON text of `value`; never throws: ill-formed UTF-8 in a string
// (which ParseJsonText never produces, but code could) becomes U+FFFD. For
// replies and messages; the store encodes strictly instead (store_codec.h).
std::string DumpJson(const Json& value);

class JsonReader {
 public:
  JsonReader(const Json& json, std::string pointer) : json_(json), pointer_(std::move(pointer)) {}

  const Json& json() const { return json_; }
  const std::string& pointer() const { return pointer_; }
  // Pointer of a child key.
  std::string PathOf(std::string_view key) const;

  Status RequireObject() const;
  bool Has(std::string_view key) const;
  // The child value, or nullptr when absent.
  const Json* Find(std::string_view key);

  // Required fields: NOT present is an error naming the field.
  Status String(std::string_view key, std::string* out);
  Status Double(std::string_view key, double* out);
  Status Int(std::string_view key, int64_t* out);
  Status Uint(std::string_view key, uint64_t* out);
  Status Bool(std::string_view key, bool* out);
  // Optional fields: absent or null leaves *out unchanged.
  Status OptionalString(std::string_view key, std::string* out);
  Status OptionalDouble(std::string_view key, double* out);
  Status OptionalInt(std::string_view key, int64_t* out);
  Status OptionalUint(std::string_view key, uint64_t* out);
  Status OptionalBool(std::string_view key, bool* out);

  // An error about `key` (or the object itself when key is empty).
  Status Error(std::string_view key, std::string message) const;
  // Fails on the first key never looked at through this reader.
  Status NoOtherKeys() const;

 private:
  const Json* Lookup(std::string_view key, bool required, Status* error);

  const Json& json_;
  std::string pointer_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace hpsweep::proto

#endif  // HPSWEEP_PROTO_JSON_READER_H_
