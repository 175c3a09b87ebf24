// JSON helpers shared by messages.cc and api_messages.cc. Internal to the
// :messages target.
#ifndef HPSWEEP_PROTO_MESSAGES_JSON_H_
#define HPSWEEP_PROTO_MESSAGES_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "proto/messages.h"

namespace hpsweep::proto::internal {

// Reads the optional object of metric values at `key` into *out: at most
// kMaxValuesPerReport finite numbers with names of 1 to kMaxNameBytes bytes.
Status ReadValues(JsonReader& r, std::string_view key, Values* out);
// Reads the required "client_id": 1 to kMaxClientIdBytes bytes.
Status ReadClientId(JsonReader& r, std::string* out);

// Reads the optional array at `key`, each item with FromJson.
template <typename T>
Status ReadArray(JsonReader& r, std::string_view key, std::vector<T>* out) {
  const Json* arr = r.Find(key);
  if (arr == nullptr) return Status();
  if (!arr->is_array()) return r.Error(key, "expected an array, found " + DescribeJson(*arr));
  for (size_t i = 0; i < arr->size(); ++i) {
    T item;
    Status s = FromJson((*arr)[i], &item);
    // The item's field is relative to the item; name it from this object.
    if (!s.ok()) return Status(s.code(), s.message(), r.PathOf(key) + "/" + std::to_string(i) + s.field());
    out->push_back(std::move(item));
  }
  return Status();
}

// Each item with ToJson.
template <typename T>
Json ArrayJson(const std::vector<T>& items) {
  Json out = Json::array();
  for (const T& item : items) out.push_back(ToJson(item));
  return out;
}

}  // namespace hpsweep::proto::internal

#endif  // HPSWEEP_PROTO_MESSAGES_JSON_H_
