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

// "string \"abc\"", "number 3", "an array", ... for error messages.
std::string DescribeJson(const Json& value);
// Escapes a key for use in a JSON pointer (RFC 6901: "~" -> "~0", "/" -> "~1").
std::string PointerToken(std::string_view key);
// Parses text as JSON; INVALID_ARGUMENT with the parser's position on failure.
StatusOr<Json> ParseJsonText(std::string_view text);

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
