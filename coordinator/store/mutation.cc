#include "coordinator/store/mutation.h"

#include <charconv>
#include <optional>
#include <utility>

namespace hpsweep::coordinator {

namespace {
constexpr char kNextEventSeq[] = "next_event_seq";
}  // namespace

Status EventLog::Recover(Store& store) {
  HPS_ASSIGN_OR_RETURN(std::optional<std::string> seq, store.GetMeta(kNextEventSeq));
  if (!seq) return Status();
  uint64_t parsed = 0;
  auto [end, ec] = std::from_chars(seq->data(), seq->data() + seq->size(), parsed);
  if (ec != std::errc() || end != seq->data() + seq->size() || parsed == 0) {
    return DataLossError("meta key next_event_seq holds \"" + *seq + "\", not an event number");
  }
  next_seq_ = parsed;
  return Status();
}

void EventLog::Add(WriteSet& writes, std::string type, uint64_t sweep_id, uint64_t trial_id,
                   std::string detail) {
  proto::Event e;
  e.seq = next_seq_++;
  e.time_us = clock_->NowMicros();
  e.type = std::move(type);
  e.sweep_id = sweep_id;
  e.trial_id = trial_id;
  e.detail = std::move(detail);
  writes.events.push_back(std::move(e));
  // Replace any earlier value in this set: the last one wins.
  for (auto& kv : writes.meta) {
    if (kv.first == kNextEventSeq) {
      kv.second = std::to_string(next_seq_);
      return;
    }
  }
  writes.meta.emplace_back(kNextEventSeq, std::to_string(next_seq_));
}

}  // namespace hpsweep::coordinator
