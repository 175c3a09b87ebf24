#include "proto/json_reader.h"

#include <cmath>

namespace hpsweep::proto {

std::string DescribeJson(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return std::string("boolean ") + (value.get<bool>() ? "true" : "false");
    case Json::value_t::string: {
      std::string s = value.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "string " + Json(s).dump();
    }
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number " + value.dump();
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

std::string PointerToken(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

StatusOr<Json> ParseJsonText(std::string_view text) {
  Json value = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    // Re-parse with exceptions to get the position for the message.
    try {
      Json unused = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
      return InvalidArgumentError(std::string("malformed JSON: ") + e.what(), "");
    }
    return InvalidArgumentError("malformed JSON", "");
  }
  return value;
}

std::string JsonReader::PathOf(std::string_view key) const {
  return pointer_ + "/" + PointerToken(key);
}

Status JsonReader::RequireObject() const {
  if (!json_.is_object()) {
    return InvalidArgumentError("expected an object, found " + DescribeJson(json_),
                                pointer_.empty() ? "" : pointer_);
  }
  return Status();
}

bool JsonReader::Has(std::string_view key) const {
  return json_.is_object() && json_.find(key) != json_.end() && !json_.at(std::string(key)).is_null();
}

const Json* JsonReader::Find(std::string_view key) {
  seen_.emplace(key);
  if (!json_.is_object()) return nullptr;
  auto it = json_.find(key);
  if (it == json_.end() || it->is_null()) return nullptr;
  return &*it;
}

Status JsonReader::Error(std::string_view key, std::string message) const {
  return InvalidArgumentError(std::move(message), key.empty() ? pointer_ : PathOf(key));
}

const Json* JsonReader::Lookup(std::string_view key, bool required, Status* error) {
  const Json* v = Find(key);
  if (v == nullptr && required) *error = Error(key, "required field is missing");
  return v;
}

namespace {

bool IsIntegral(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return true;
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.007199254740992e15;
}

}  // namespace

#define HPS_JSON_FIELD_(Name, Type, check, expected, convert)                   \
  Status JsonReader::Name(std::string_view key, Type* out) {                   \
    Status error;                                                              \
    const Json* v = Lookup(key, true, &error);                                 \
    if (!v) return error;                                                      \
    if (!(check)) return Error(key, "expected " expected ", found " + DescribeJson(*v)); \
    *out = convert;                                                            \
    return Status();                                                           \
  }                                                                            \
  Status JsonReader::Optional##Name(std::string_view key, Type* out) {         \
    if (!Has(key)) {                                                           \
      seen_.emplace(key);                                                      \
      return Status();                                                         \
    }                                                                          \
    return Name(key, out);                                                     \
  }

HPS_JSON_FIELD_(String, std::string, v->is_string(), "a string", v->get<std::string>())
HPS_JSON_FIELD_(Double, double, v->is_number() && std::isfinite(v->get<double>()),
                "a finite number", v->get<double>())
HPS_JSON_FIELD_(Int, int64_t, IsIntegral(*v), "an integer",
                v->is_number_float() ? static_cast<int64_t>(v->get<double>()) : v->get<int64_t>())
HPS_JSON_FIELD_(Uint, uint64_t,
                IsIntegral(*v) && (v->is_number_unsigned() || v->get<double>() >= 0),
                "a non-negative integer",
                v->is_number_float() ? static_cast<uint64_t>(v->get<double>())
                                     : v->get<uint64_t>())
HPS_JSON_FIELD_(Bool, bool, v->is_boolean(), "a boolean", v->get<bool>())

#undef HPS_JSON_FIELD_

Status JsonReader::NoOtherKeys() const {
  if (!json_.is_object()) return Status();
  for (auto it = json_.begin(); it != json_.end(); ++it) {
    if (seen_.find(it.key()) == seen_.end()) {
      return Error(it.key(), "unknown field \"" + it.key() + "\"");
    }
  }
  return Status();
}

}  // namespace hpsweep::proto
