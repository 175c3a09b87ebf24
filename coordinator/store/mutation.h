// What a state change of the lifecycle managers (sweep_manager.h,
// trial_manager.h) must make durable before it is answered: Mutation<T>
// carries the answer with its WriteSet, which the caller commits through the
// group committer (group_committer.h) and only then replies; EventLog numbers
// the events those WriteSets append.
//
// Thread safety: EventLog is not thread-safe; it lives on the service strand
// with the managers that share it.
#ifndef HPSWEEP_COORDINATOR_STORE_MUTATION_H_
#define HPSWEEP_COORDINATOR_STORE_MUTATION_H_

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "coordinator/store/store.h"

namespace hpsweep::coordinator {

// An answer plus what must be durable before it is sent.
template <typename T>
struct Mutation {
  T response;
  WriteSet writes;
};

// The event log's sequence: every event a manager appends gets the next
// number, and the WriteSet that carries it also stores the number after it
// (meta key next_event_seq), so that a recovered log never reuses one.
class EventLog {
 public:
  // `clock` stamps the events; it must outlive the log.
  explicit EventLog(Clock* clock) : clock_(clock) {}
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Continues the numbering stored in `store`. DATA_LOSS when the stored
  // value is not an event number; store I/O errors as the store returns them.
  // REQUIRES: called before Add.
  Status Recover(Store& store);
  // Appends an event to `writes`, with the sequence number to go on from.
  void Add(WriteSet& writes, std::string type, uint64_t sweep_id, uint64_t trial_id,
           std::string detail);

 private:
  Clock* clock_;
  uint64_t next_seq_ = 1;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_STORE_MUTATION_H_
