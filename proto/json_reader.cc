#include "proto/json_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "common/utf8.h"

namespace hpsweep::proto {

std::string DescribeJson(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return std::string("boolean ") + (value.get<bool>() ? "true" : "false");
    case Json::value_t::string: {
      const std::string& s = value.get_ref<const std::string&>();
      std::string shown(TruncateUtf8(s, 40));
      if (shown.size() < s.size()) shown += "...";
      return "string " + DumpJson(shown);
    }
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number " + DumpJson(value);
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
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// Builds the document from nlohmann's SAX events. nlohmann's SAX parser keeps
// its own state on a heap stack (no recursion per level); this handler refuses
// to open a container beyond the depth limit, so nothing deeper is ever built.
// It also remembers where it is, so that an error names the field.
class BoundedDomBuilder {
 public:
  explicit BoundedDomBuilder(int max_depth) : max_depth_(max_depth) {}

  bool null() { return Add(nullptr); }
  bool boolean(bool v) { return Add(v); }
  bool number_integer(Json::number_integer_t v) { return Add(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return Add(v); }
  bool number_float(Json::number_float_t v, const std::string& text) {
    if (!std::isfinite(v)) return Fail("number " + QuoteForMessage(text, 40) + " is out of range");
    return Add(v);
  }
  bool string(std::string& v) { return Add(std::move(v)); }
  bool binary(Json::binary_t&) { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) { return Open(Json::object()); }
  bool key(std::string& k) {
    Level& top = levels_.back();
    const bool repeated = top.container->contains(k);
    top.key = std::move(k);
    // Which of two values a client meant is not ours to guess (a sweep file
    // with "lr" twice would silently lose one).
    if (repeated) {
      return Fail("duplicate key \"" + QuoteForMessage(top.key, 80) + "\" in an object");
    }
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) {
    if (ex.id == 406) {  // number overflow: the SAX number callback never sees it
      return Fail("number " + QuoteForMessage(last_token, 40) +
                  " is out of range (JSON numbers here must fit a double)");
    }
    std::string what = ex.what();
    if (what.find("ill-formed UTF-8") != std::string::npos) {
      return Fail("a string is not valid UTF-8 (at byte " + std::to_string(position) + ")");
    }
    // nlohmann's message quotes the input near the error: keep it printable.
    return Fail("malformed JSON: " + QuoteForMessage(what, 300));  // (position in `what`)
  }

  StatusOr<Json> Result() && {
    if (!error_.empty()) return InvalidArgumentError(error_, error_at_);
    return std::move(root_);
  }
  bool failed() const { return !error_.empty(); }

 private:
  struct Level {
    Json* container;
    std::string key;  // objects: the key of the member being read
  };

  // Where the value being read goes.
  Json& Slot() {
    if (levels_.empty()) return root_;
    Level& top = levels_.back();
    if (top.container->is_array()) {
      top.container->push_back(nullptr);
      return top.container->back();
    }
    return (*top.container)[top.key];
  }

  template <typename V>
  bool Add(V&& value) {
    Slot() = Json(std::forward<V>(value));
    return true;
  }

  bool Open(Json empty) {
    if (static_cast<int>(levels_.size()) >= max_depth_) {
      return Fail("JSON nests deeper than " + std::to_string(max_depth_) +
                  " levels of arrays and objects");
    }
    Json& slot = Slot();
    slot = std::move(empty);
    levels_.push_back({&slot, {}});
    return true;
  }

  bool Close() {
    levels_.pop_back();
    return true;
  }

  // The JSON pointer of the value being read.
  std::string Pointer() const {
    std::string out;
    for (size_t i = 0; i < levels_.size(); ++i) {
      const Level& level = levels_[i];
      const bool inner = i + 1 < levels_.size();  // its current member is open below
      if (level.container->is_array()) {
        const size_t n = level.container->size();
        out += "/" + std::to_string(inner && n > 0 ? n - 1 : n);
      } else {
        out += "/" + PointerToken(level.key);
      }
    }
    return out;
  }

  bool Fail(std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
      error_at_ = Pointer();
      // A pointer is echoed to the client; one through many long keys is not
      // worth a large reply.
      if (error_at_.size() > 1024) error_at_ = std::string(TruncateUtf8(error_at_, 1024));
    }
    return false;
  }

  const int max_depth_;
  Json root_;
  std::vector<Level> levels_;
  std::string error_;
  std::string error_at_;
};

}  // namespace

StatusOr<Json> ParseJsonText(std::string_view text, const JsonTextOptions& options) {
  BoundedDomBuilder builder(std::max(1, options.max_depth));
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const std::exception& e) {  // the SAX parser reports errors; this is defence
    return InvalidArgumentError("malformed JSON: " + QuoteForMessage(e.what(), 300));
  }
  if (!ok && !builder.failed()) return InvalidArgumentError("malformed JSON", "");
  return std::move(builder).Result();
}

Status RefuseControlCharacters(std::string_view text, std::string_view what, std::string pointer) {
  if (!HasControlCharacter(text)) return Status();
  return InvalidArgumentError(std::string(what) + " must not contain control characters (found \"" +
                                  QuoteForMessage(text, 60) + "\")",
                              std::move(pointer));
}

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
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
  return json_.is_object() && json_.find(key) != json_.end() &&
         !json_.at(std::string(key)).is_null();
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

#define HPS_JSON_FIELD_(Name, Type, check, expected, convert)                            \
  Status JsonReader::Name(std::string_view key, Type* out) {                             \
    Status error;                                                                        \
    const Json* v = Lookup(key, true, &error);                                           \
    if (!v) return error;                                                                \
    if (!(check)) return Error(key, "expected " expected ", found " + DescribeJson(*v)); \
    *out = convert;                                                                      \
    return Status();                                                                     \
  }                                                                                      \
  Status JsonReader::Optional##Name(std::string_view key, Type* out) {                   \
    if (!Has(key)) {                                                                     \
      seen_.emplace(key);                                                                \
      return Status();                                                                   \
    }                                                                                    \
    return Name(key, out);                                                               \
  }

HPS_JSON_FIELD_(String, std::string, v->is_string(), "a string", v->get<std::string>())
HPS_JSON_FIELD_(Double, double, v->is_number() && std::isfinite(v->get<double>()),
                "a finite number", v->get<double>())
HPS_JSON_FIELD_(Int, int64_t, IsIntegral(*v), "an integer",
                v->is_number_float() ? static_cast<int64_t>(v->get<double>()) : v->get<int64_t>())
HPS_JSON_FIELD_(Uint, uint64_t,
                IsIntegral(*v) && (v->is_number_unsigned() || v->get<double>() >= 0),
                "a non-negative integer",
                v->is_number_float() ? static_cast<uint64_t>(v->get<double>()) : v->get<uint64_t>())
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
