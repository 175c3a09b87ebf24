// Internal to the Store implementations (memory_store.cc, rocks_store.cc):
// the table layout, key encodings and record (de)serialisation that both
// share, so that the in-memory store orders, pages and fails exactly like the
// RocksDB one. Not part of the Store contract; include only from coordinator/
// store implementations.
//
// Keys encode ids big-endian so that byte order is numeric order and a prefix
// scan returns a sweep's trials by id and a trial's metric curve by step:
//
//   sweeps       be64(sweep_id)
//   trials       be64(sweep_id) be64(trial_id)
//   metrics      be64(trial_id) be64(step ^ 1<<63)   (signed steps sort right)
//   events       be64(seq)
//   meta         the key's bytes
//   checkpoints  'm' be64(trial) be64(step)                        -> manifest
//                'c' be64(trial) be64(step) be64(gen) be32(index)  -> chunk bytes
//                'p' be64(gen)                                     -> pending writer
//
// Values are the JSON text of the proto records (proto::ToJson); a value that
// does not decode is DATA_LOSS naming the table and key.
//
// Thread safety: everything here is a pure function.
#ifndef HPSWEEP_COORDINATOR_STORE_CODEC_H_
#define HPSWEEP_COORDINATOR_STORE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "coordinator/store/store.h"
#include "proto/messages.h"

namespace hpsweep::coordinator::internal {

// One RocksDB column family each; the memory store keeps one map each.
enum class Table : int { kSweeps = 0, kTrials, kMetrics, kCheckpoints, kEvents, kMeta };
inline constexpr int kNumTables = 6;
// The column family name: "sweeps", "trials", ...
std::string_view TableName(Table table);

// The meta key holding kSchemaVersion; Commit refuses to write it.
inline constexpr std::string_view kSchemaVersionKey = "schema_version";

void PutBe64(std::string* out, uint64_t v);
void PutBe32(std::string* out, uint32_t v);
// REQUIRES: bytes.size() >= 8 (resp. 4).
uint64_t GetBe64(std::string_view bytes);
uint32_t GetBe32(std::string_view bytes);

std::string SweepKey(uint64_t sweep_id);
std::string TrialKey(uint64_t sweep_id, uint64_t trial_id);
std::string TrialPrefix(uint64_t sweep_id);
std::string MetricKey(uint64_t trial_id, int64_t step);
std::string MetricPrefix(uint64_t trial_id);
std::string EventKey(uint64_t seq);

// Checkpoint key spaces. Chunks carry the generation of the writer that made
// them, so a replacement at the same step never mixes with the old chunks and
// a writer's chunks are unreachable until a manifest names its generation.
std::string ManifestKey(uint64_t trial_id, int64_t step);
std::string ManifestPrefix(uint64_t trial_id);
std::string ChunkPrefix(uint64_t trial_id, int64_t step, uint64_t generation);
std::string ChunkKey(uint64_t trial_id, int64_t step, uint64_t generation, uint32_t index);
std::string PendingKey(uint64_t generation);
inline constexpr char kManifestTag = 'm';
inline constexpr char kChunkTag = 'c';
inline constexpr char kPendingTag = 'p';

// The smallest key greater than every key that starts with `prefix`; empty
// when there is none (prefix is all 0xff).
std::string PrefixSuccessor(std::string prefix);
// "trials key 0x0000000000000003..." for error messages.
std::string DescribeKey(Table table, std::string_view key);

// One encoded mutation.
struct EncodedPut {
  Table table;
  std::string key;
  std::string value;
};

// Encodes every mutation of `writes`, in order. INVALID_ARGUMENT (and nothing
// encoded) when a record cannot be stored faithfully: a string that is not
// UTF-8, a non-finite number, an event with seq 0 (never readable through
// ReadEvents), a write to the reserved meta key "schema_version".
StatusOr<std::vector<EncodedPut>> EncodeWriteSet(const WriteSet& writes);

// Decoders: DATA_LOSS naming the key when `value` is not a valid record or
// disagrees with the ids in its key.
Status DecodeSweep(std::string_view key, std::string_view value, proto::Sweep* out);
Status DecodeTrial(std::string_view key, std::string_view value, proto::Trial* out);
Status DecodeMetric(std::string_view key, std::string_view value, proto::MetricPoint* out);
Status DecodeEvent(std::string_view key, std::string_view value, proto::Event* out);

// `status` (a decoder's DATA_LOSS) as an UndecodableRecord with the ids that
// `key` of `table` carries.
UndecodableRecord Undecodable(Table table, std::string_view key, Status status);

// A finished checkpoint: what readers see, plus where its chunks live.
struct Manifest {
  CheckpointInfo info;
  uint64_t generation = 0;
  uint64_t chunks = 0;
};
std::string EncodeManifest(const Manifest& manifest);
Status DecodeManifest(std::string_view key, std::string_view value, Manifest* out);

// A writer that has begun but not finished: enough to find its chunks again.
struct Pending {
  uint64_t trial_id = 0;
  int64_t step = 0;
  uint64_t generation = 0;
};
std::string EncodePending(const Pending& pending);
Status DecodePending(std::string_view key, std::string_view value, Pending* out);

// INVALID_ARGUMENT unless step >= 0 (a negative step means "latest" to readers).
Status ValidateCheckpointStep(int64_t step);

}  // namespace hpsweep::coordinator::internal

#endif  // HPSWEEP_COORDINATOR_STORE_CODEC_H_
