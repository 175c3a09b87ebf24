// EventHub: the live feed of the dashboard, as server-sent events
// (text/event-stream) on GET /api/v1/events. It is driven by what the group
// committer makes durable (Publish is its commit observer): every event of
// the event log, and every metric point reported, once it is stored.
//
// A stream carries, in order:
//   retry + `hello` {last_seq}      the last stored event number at the start
//   `event` (id: seq) {Event}       stored events after the client's `after`
//                                   (the replay), then every new one
//   `report` {ReportNotice}         metric points as they are stored (no id:
//                                   not part of the durable log)
//   `reset` {}                      the client missed messages (its queue
//                                   overflowed, or the replay would be too
//                                   long): it should read everything again
//   ": keepalive" comments          after `keepalive` without messages
// A client that lost its connection (the coordinator restarted) reconnects
// with ?after=<last id it saw> and gets the events it missed from the store.
//
// Thread safety: thread-safe. Streams may outlive the hub; they end when it
// shuts down.
#ifndef HPSWEEP_COORDINATOR_HTTP_EVENT_HUB_H_
#define HPSWEEP_COORDINATOR_HTTP_EVENT_HUB_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>

#include "common/status.h"
#include "coordinator/http/http_request.h"
#include "coordinator/store/store.h"

namespace hpsweep::coordinator {

struct EventHubOptions {
  // Messages queued for one stream (a slow client) before they are dropped
  // and replaced by one `reset`. Default: 20000.
  size_t max_queued = 20000;
  // Stored events replayed to a reconnecting client at most; a longer gap is
  // answered with `reset`. Default: 10000.
  size_t max_replay = 10000;
  // A keepalive comment is sent after this long without messages, so that a
  // closed connection is noticed. Default: 15 s.
  std::chrono::milliseconds keepalive{15000};
  // The reconnection delay the stream asks clients for (SSE `retry:`).
  // Default: 1000 ms.
  int64_t retry_ms = 1000;
  Status Validate() const;
};

class EventHub {
 public:
  // `store` must outlive the hub.
  EventHub(Store* store, EventHubOptions options);
  // Shuts down.
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Learns the last stored event number and starts the keepalive thread.
  // Store errors as the store returns them.
  Status Start();
  // Feeds every open stream what `writes` stored. Called by the committer
  // after each successful commit; does not block on clients.
  void Publish(const WriteSet& writes);
  // A new stream for one client: only `sweep_id`'s messages (0: every sweep's),
  // starting with the stored events after `after_seq` (nullopt: none; live
  // messages only). Reads the store: REQUIRES: not called on a network strand.
  std::shared_ptr<BodySource> Subscribe(std::optional<uint64_t> after_seq, uint64_t sweep_id);
  // Ends every stream (the coordinator is stopping); later ones end at once.
  void Shutdown();
  // Open streams (for tests and /metrics).
  size_t streams() const;

  class Stream;
  struct State;

 private:
  void KeepaliveLoop();

  Store* store_;
  EventHubOptions options_;
  std::shared_ptr<State> state_;
  std::thread keepalive_thread_;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_EVENT_HUB_H_
