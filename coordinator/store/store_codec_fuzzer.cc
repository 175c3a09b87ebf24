// Fuzz target: decoding stored records (codec.h), what every start-up
// does with whatever is on disk. Whatever the bytes: no throw, no crash; a
// refusal is DATA_LOSS naming the key; a record that decodes encodes again
// and decodes to the same record (what was accepted stays readable).
//
// Input: one byte choosing the table, one byte giving the key length, the
// key, then the value. Each record is also tried under the key its own ids
// make, so that decoding gets past the key check.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/utf8.h"
#include "coordinator/store/codec.h"
#include "proto/json_reader.h"
#include "tests/fuzz/fuzz_check.h"

namespace hpsweep::coordinator::internal {
namespace {

using proto::Json;

void CheckRefusal(const Status& s) {
  FUZZ_CHECK(s.code() == StatusCode::kDataLoss, s.ToString());
  FUZZ_CHECK(IsValidUtf8(s.message()), "the refusal is not UTF-8");
}

// Encodes `writes`, which must succeed, and returns the one value.
std::string EncodeOne(const WriteSet& writes) {
  auto puts = EncodeWriteSet(writes);
  FUZZ_CHECK(puts.ok(), "a decoded record does not encode: " + puts.status().ToString());
  FUZZ_CHECK(puts->size() >= 1, "nothing encoded");
  return puts->front().value;
}

template <typename T, typename Decode, typename Put, typename KeyOf>
void RoundTrip(std::string_view key, std::string_view value, Decode decode, Put put, KeyOf key_of) {
  T record;
  Status s = decode(key, value, &record);
  if (!s.ok()) return CheckRefusal(s);
  WriteSet writes;
  put(writes, record);
  const std::string encoded = EncodeOne(writes);
  T again;
  Status back = decode(key_of(record), encoded, &again);
  FUZZ_CHECK(back.ok(), "an encoded record does not decode: " + back.ToString());
  FUZZ_CHECK(proto::ToJson(again) == proto::ToJson(record), "a record reads back differently");
}

// The key a record's own ids make (0s where the value has none).
uint64_t Field(std::string_view value, const char* name) {
  auto json = proto::ParseJsonText(value, {proto::kMaxWrittenJsonDepth});
  if (!json.ok() || !json->is_object()) return 0;
  auto it = json->find(name);
  return it != json->end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

void DecodeAll(int table, std::string_view key, std::string_view value) {
  switch (table % 6) {
    case 0:
      return RoundTrip<proto::Sweep>(key, value, DecodeSweep,
                                     [](WriteSet& w, const proto::Sweep& s) { w.sweeps.push_back(s); },
                                     [](const proto::Sweep& s) { return SweepKey(s.id); });
    case 1:
      return RoundTrip<proto::Trial>(key, value, DecodeTrial,
                                     [](WriteSet& w, const proto::Trial& t) { w.trials.push_back(t); },
                                     [](const proto::Trial& t) { return TrialKey(t.sweep_id, t.id); });
    case 2:
      return RoundTrip<proto::MetricPoint>(
          key, value, DecodeMetric,
          [](WriteSet& w, const proto::MetricPoint& p) { w.metrics.emplace_back(1, p); },
          [](const proto::MetricPoint& p) { return MetricKey(1, p.step); });
    case 3:
      return RoundTrip<proto::Event>(key, value, DecodeEvent,
                                     [](WriteSet& w, const proto::Event& e) { w.events.push_back(e); },
                                     [](const proto::Event& e) { return EventKey(e.seq); });
    case 4: {
      Manifest m;
      Status s = DecodeManifest(key, value, &m);
      if (!s.ok()) return CheckRefusal(s);
      Manifest again;
      FUZZ_CHECK(DecodeManifest(key, EncodeManifest(m), &again).ok(), "a manifest does not round-trip");
      return;
    }
    default: {
      Pending p;
      Status s = DecodePending(key, value, &p);
      if (!s.ok()) return CheckRefusal(s);
      Pending again;
      FUZZ_CHECK(DecodePending(key, EncodePending(p), &again).ok(), "a pending marker does not round-trip");
      return;
    }
  }
}

std::string OwnKey(int table, std::string_view value) {
  switch (table % 6) {
    case 0: return SweepKey(Field(value, "id"));
    case 1: return TrialKey(Field(value, "sweep_id"), Field(value, "id"));
    case 2: {
      auto json = proto::ParseJsonText(value, {proto::kMaxWrittenJsonDepth});
      int64_t step = 0;
      if (json.ok() && json->is_object() && json->contains("step") && (*json)["step"].is_number_integer()) {
        step = (*json)["step"].get<int64_t>();
      }
      return MetricKey(1, step);
    }
    case 3: return EventKey(Field(value, "seq"));
    case 4: return ManifestKey(Field(value, "trial_id"), static_cast<int64_t>(Field(value, "step")));
    default: return PendingKey(Field(value, "generation"));
  }
}

}  // namespace
}  // namespace hpsweep::coordinator::internal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hpsweep::coordinator::internal;
  if (size < 2) return 0;
  const int table = data[0];
  const size_t key_size = std::min<size_t>(data[1], size - 2);
  const std::string_view key(reinterpret_cast<const char*>(data) + 2, key_size);
  const std::string_view value(reinterpret_cast<const char*>(data) + 2 + key_size, size - 2 - key_size);
  DecodeAll(table, key, value);
  DecodeAll(table, OwnKey(table, value), value);
  return 0;
}
