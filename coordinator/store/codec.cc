// The key layout and record codec shared by the Store implementations (codec.h).
#include "coordinator/store/codec.h"

#include <cmath>
#include <utility>

#include "proto/json_reader.h"

namespace hpsweep::coordinator {

namespace internal {

using proto::Json;

std::string_view TableName(Table table) {
  switch (table) {
    case Table::kSweeps: return "sweeps";
    case Table::kTrials: return "trials";
    case Table::kMetrics: return "metrics";
    case Table::kCheckpoints: return "checkpoints";
    case Table::kEvents: return "events";
    case Table::kMeta: return "meta";
  }
  return "unknown";
}

void PutBe64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

void PutBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t GetBe64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

uint32_t GetBe32(std::string_view bytes) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

std::string Key64(uint64_t a) {
  std::string key;
  PutBe64(&key, a);
  return key;
}

std::string Key64x2(uint64_t a, uint64_t b) {
  std::string key;
  key.reserve(16);
  PutBe64(&key, a);
  PutBe64(&key, b);
  return key;
}

}  // namespace

std::string SweepKey(uint64_t sweep_id) { return Key64(sweep_id); }
std::string TrialKey(uint64_t sweep_id, uint64_t trial_id) { return Key64x2(sweep_id, trial_id); }
std::string TrialPrefix(uint64_t sweep_id) { return Key64(sweep_id); }
std::string MetricKey(uint64_t trial_id, int64_t step) {
  return Key64x2(trial_id, static_cast<uint64_t>(step) ^ kSignBit);
}
std::string MetricPrefix(uint64_t trial_id) { return Key64(trial_id); }
std::string EventKey(uint64_t seq) { return Key64(seq); }

std::string ManifestKey(uint64_t trial_id, int64_t step) {
  std::string key(1, kManifestTag);
  PutBe64(&key, trial_id);
  PutBe64(&key, static_cast<uint64_t>(step));
  return key;
}

std::string ManifestPrefix(uint64_t trial_id) {
  std::string key(1, kManifestTag);
  PutBe64(&key, trial_id);
  return key;
}

std::string ChunkPrefix(uint64_t trial_id, int64_t step, uint64_t generation) {
  std::string key(1, kChunkTag);
  PutBe64(&key, trial_id);
  PutBe64(&key, static_cast<uint64_t>(step));
  PutBe64(&key, generation);
  return key;
}

std::string ChunkKey(uint64_t trial_id, int64_t step, uint64_t generation, uint32_t index) {
  std::string key = ChunkPrefix(trial_id, step, generation);
  PutBe32(&key, index);
  return key;
}

std::string PendingKey(uint64_t generation) {
  std::string key(1, kPendingTag);
  PutBe64(&key, generation);
  return key;
}

std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

std::string DescribeKey(Table table, std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(TableName(table));
  out += " key 0x";
  for (char c : key) {
    out.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xf]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 0xf]);
  }
  return out;
}

namespace {

// Finds what JSON text would not carry faithfully: NaN and infinities dump as
// null, which would then fail to decode on every later read.
Status CheckFinite(const Json& j, const std::string& pointer) {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) {
    return InvalidArgumentError("non-finite number cannot be stored", pointer);
  }
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      HPS_RETURN_IF_ERROR(CheckFinite(it.value(), pointer + "/" + proto::PointerToken(it.key())));
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      HPS_RETURN_IF_ERROR(CheckFinite(j[i], pointer + "/" + std::to_string(i)));
    }
  }
  return Status::Ok();
}

// JSON text of a record; INVALID_ARGUMENT naming the record when it cannot
// round-trip.
StatusOr<std::string> EncodeRecord(const Json& j, const std::string& what) {
  Status finite = CheckFinite(j, "");
  if (!finite.ok()) {
    return InvalidArgumentError(what + ": " + finite.message() + " at " + finite.field());
  }
  try {
    return j.dump();
  } catch (const Json::exception& e) {  // strings that are not UTF-8
    return InvalidArgumentError(what + ": cannot encode as JSON: " + e.what());
  }
}

}  // namespace

StatusOr<std::vector<EncodedPut>> EncodeWriteSet(const WriteSet& writes) {
  std::vector<EncodedPut> out;
  out.reserve(writes.sweeps.size() + writes.trials.size() + writes.metrics.size() +
              writes.events.size() + writes.meta.size());
  for (const proto::Sweep& s : writes.sweeps) {
    HPS_ASSIGN_OR_RETURN(std::string value,
                         EncodeRecord(proto::ToJson(s), "sweep " + std::to_string(s.id)));
    out.push_back({Table::kSweeps, SweepKey(s.id), std::move(value)});
  }
  for (const proto::Trial& t : writes.trials) {
    HPS_ASSIGN_OR_RETURN(std::string value,
                         EncodeRecord(proto::ToJson(t), "trial " + std::to_string(t.id)));
    out.push_back({Table::kTrials, TrialKey(t.sweep_id, t.id), std::move(value)});
  }
  for (const auto& [trial_id, point] : writes.metrics) {
    HPS_ASSIGN_OR_RETURN(std::string value,
                         EncodeRecord(proto::ToJson(point), "metric point of trial " +
                                                                std::to_string(trial_id) + " step " +
                                                                std::to_string(point.step)));
    out.push_back({Table::kMetrics, MetricKey(trial_id, point.step), std::move(value)});
  }
  for (const proto::Event& e : writes.events) {
    if (e.seq == 0) {
      return InvalidArgumentError("event seq must be > 0 (ReadEvents returns seq > after_seq >= 0)");
    }
    HPS_ASSIGN_OR_RETURN(std::string value,
                         EncodeRecord(proto::ToJson(e), "event " + std::to_string(e.seq)));
    out.push_back({Table::kEvents, EventKey(e.seq), std::move(value)});
  }
  for (const auto& [key, value] : writes.meta) {
    if (key == kSchemaVersionKey) {
      return InvalidArgumentError("meta key \"schema_version\" is reserved for the store");
    }
    out.push_back({Table::kMeta, key, value});
  }
  return out;
}

namespace {

template <typename T>
Status DecodeJsonRecord(Table table, std::string_view key, std::string_view value, T* out) {
  StatusOr<Json> json = proto::ParseJsonText(value, {proto::kMaxWrittenJsonDepth});
  Status status = json.ok() ? proto::FromJson(*json, out) : json.status();
  if (!status.ok()) {
    std::string message = DescribeKey(table, key) + ": undecodable record: " + status.message();
    if (!status.field().empty()) message += " at " + status.field();
    return DataLossError(std::move(message));
  }
  return Status::Ok();
}

Status KeyMismatch(Table table, std::string_view key, const std::string& what) {
  return DataLossError(DescribeKey(table, key) + ": record disagrees with its key (" + what + ")");
}

}  // namespace

UndecodableRecord Undecodable(Table table, std::string_view key, Status status) {
  UndecodableRecord record;
  record.status = std::move(status);
  if (table == Table::kSweeps && key.size() == 8) record.sweep_id = GetBe64(key);
  if (table == Table::kTrials && key.size() == 16) {
    record.sweep_id = GetBe64(key);
    record.trial_id = GetBe64(key.substr(8));
  }
  return record;
}

Status DecodeSweep(std::string_view key, std::string_view value, proto::Sweep* out) {
  HPS_RETURN_IF_ERROR(DecodeJsonRecord(Table::kSweeps, key, value, out));
  if (key.size() != 8 || GetBe64(key) != out->id) {
    return KeyMismatch(Table::kSweeps, key, "id " + std::to_string(out->id));
  }
  return Status::Ok();
}

Status DecodeTrial(std::string_view key, std::string_view value, proto::Trial* out) {
  HPS_RETURN_IF_ERROR(DecodeJsonRecord(Table::kTrials, key, value, out));
  if (key.size() != 16 || GetBe64(key) != out->sweep_id || GetBe64(key.substr(8)) != out->id) {
    return KeyMismatch(Table::kTrials, key,
                       "sweep " + std::to_string(out->sweep_id) + " trial " + std::to_string(out->id));
  }
  return Status::Ok();
}

Status DecodeMetric(std::string_view key, std::string_view value, proto::MetricPoint* out) {
  HPS_RETURN_IF_ERROR(DecodeJsonRecord(Table::kMetrics, key, value, out));
  if (key.size() != 16 || (GetBe64(key.substr(8)) ^ kSignBit) != static_cast<uint64_t>(out->step)) {
    return KeyMismatch(Table::kMetrics, key, "step " + std::to_string(out->step));
  }
  return Status::Ok();
}

Status DecodeEvent(std::string_view key, std::string_view value, proto::Event* out) {
  HPS_RETURN_IF_ERROR(DecodeJsonRecord(Table::kEvents, key, value, out));
  if (out->seq == 0) {  // never written (EncodeWriteSet refuses it), never readable
    return DataLossError(DescribeKey(Table::kEvents, key) + ": undecodable record: seq 0");
  }
  if (key.size() != 8 || GetBe64(key) != out->seq) {
    return KeyMismatch(Table::kEvents, key, "seq " + std::to_string(out->seq));
  }
  return Status::Ok();
}

std::string EncodeManifest(const Manifest& m) {
  Json j = {{"trial_id", m.info.trial_id},     {"step", m.info.step},
            {"size_bytes", m.info.size_bytes}, {"time_us", m.info.time_us},
            {"generation", m.generation},      {"chunks", m.chunks}};
  return j.dump();
}

Status DecodeManifest(std::string_view key, std::string_view value, Manifest* out) {
  StatusOr<Json> json = proto::ParseJsonText(value, {proto::kMaxWrittenJsonDepth});
  Status status = json.status();
  if (status.ok()) {
    proto::JsonReader r(*json, "");
    status = r.RequireObject();
    if (status.ok()) status = r.Uint("trial_id", &out->info.trial_id);
    if (status.ok()) status = r.Int("step", &out->info.step);
    if (status.ok()) status = r.Uint("size_bytes", &out->info.size_bytes);
    if (status.ok()) status = r.Int("time_us", &out->info.time_us);
    if (status.ok()) status = r.Uint("generation", &out->generation);
    if (status.ok()) status = r.Uint("chunks", &out->chunks);
  }
  if (!status.ok()) {
    return DataLossError(DescribeKey(Table::kCheckpoints, key) +
                         ": undecodable checkpoint manifest: " + status.message() + " " +
                         status.field());
  }
  if (key != ManifestKey(out->info.trial_id, out->info.step)) {
    return KeyMismatch(Table::kCheckpoints, key,
                       "trial " + std::to_string(out->info.trial_id) + " step " +
                           std::to_string(out->info.step));
  }
  return Status::Ok();
}

std::string EncodePending(const Pending& p) {
  Json j = {{"trial_id", p.trial_id}, {"step", p.step}, {"generation", p.generation}};
  return j.dump();
}

Status DecodePending(std::string_view key, std::string_view value, Pending* out) {
  StatusOr<Json> json = proto::ParseJsonText(value, {proto::kMaxWrittenJsonDepth});
  Status status = json.status();
  if (status.ok()) {
    proto::JsonReader r(*json, "");
    status = r.RequireObject();
    if (status.ok()) status = r.Uint("trial_id", &out->trial_id);
    if (status.ok()) status = r.Int("step", &out->step);
    if (status.ok()) status = r.Uint("generation", &out->generation);
  }
  if (!status.ok()) {
    return DataLossError(DescribeKey(Table::kCheckpoints, key) +
                         ": undecodable pending-checkpoint marker: " + status.message() + " " +
                         status.field());
  }
  if (key != PendingKey(out->generation)) {
    return KeyMismatch(Table::kCheckpoints, key, "generation " + std::to_string(out->generation));
  }
  return Status::Ok();
}

Status ValidateCheckpointStep(int64_t step) {
  if (step < 0) {
    return InvalidArgumentError("checkpoint step must be >= 0, found " + std::to_string(step));
  }
  return Status::Ok();
}

}  // namespace internal
}  // namespace hpsweep::coordinator
