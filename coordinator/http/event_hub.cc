#include "coordinator/http/event_hub.h"

#include <atomic>
#include <charconv>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "proto/dashboard_messages.h"

namespace hpsweep::coordinator {

namespace {

using Clock = std::chrono::steady_clock;

std::string SseMessage(std::string_view type, const proto::Json& data,
                       std::optional<uint64_t> id = std::nullopt) {
  std::string out;
  if (id) out += "id: " + std::to_string(*id) + "\n";
  out += "event: ";
  out += type;
  out += "\ndata: " + proto::DumpJson(data) + "\n\n";
  return out;
}

const std::string& ResetMessage() {
  static const auto* reset = new std::string(SseMessage("reset", proto::Json::object()));
  return *reset;
}

// A callback to run outside the hub's lock: hands a chunk to a waiting Next.
using Delivery = std::function<void()>;

// A message and the sweep it belongs to (0: every stream's).
struct Message {
  uint64_t sweep_id = 0;
  std::string text;
};

}  // namespace

// Shared by the hub and its streams, so that a stream outliving the hub
// still finds a closed state rather than a dangling pointer.
struct EventHub::State {
  std::mutex mu;
  std::condition_variable cv;  // wakes the keepalive thread
  bool closed = false;
  uint64_t last_seq = 0;
  std::vector<std::weak_ptr<Stream>> streams;
  std::atomic<size_t> open{0};
};

// One client's stream. Its queue and waiting callback are guarded by the
// hub's mutex.
class EventHub::Stream final : public BodySource {
 public:
  Stream(std::shared_ptr<State> state, uint64_t sweep_id, size_t max_queued)
      : state_(std::move(state)), sweep_id_(sweep_id), max_queued_(max_queued) {}
  ~Stream() override { state_->open.fetch_sub(1); }

  void Next(NextCallback next) override {
    std::unique_lock<std::mutex> lock(state_->mu);
    if (state_->closed) {
      lock.unlock();
      return next(std::optional<std::string>());
    }
    if (queue_.empty()) {
      waiting_ = std::move(next);
      return;
    }
    std::string chunk = TakeQueueLocked();
    lock.unlock();
    next(std::optional<std::string>(std::move(chunk)));
  }

  // REQUIRES: state_->mu held. The callback to run (outside the lock) with
  // what is queued, if a Next is waiting.
  Delivery OfferLocked(const std::vector<Message>& messages) {
    bool added = false;
    for (const Message& m : messages) {
      if (sweep_id_ != 0 && m.sweep_id != 0 && m.sweep_id != sweep_id_) continue;
      Push(m.text);
      added = true;
    }
    return added ? TakeWaitingLocked() : nullptr;
  }
  // REQUIRES: state_->mu held. Puts `front` before everything queued.
  Delivery PrependLocked(std::vector<std::string> front) {
    if (queued_ + front.size() > max_queued_) {
      front = {front.front(), ResetMessage()};
      queue_.clear();
      queued_ = 0;
    }
    queued_ += front.size();
    std::string live = std::move(queue_);
    queue_.clear();
    for (std::string& s : front) queue_ += s;
    queue_ += live;
    return TakeWaitingLocked();
  }
  // REQUIRES: state_->mu held. A keepalive for an idle stream that waits.
  Delivery KeepaliveLocked(Clock::time_point now, std::chrono::milliseconds every) {
    if (!waiting_ || now - last_sent_ < every) return nullptr;
    queue_ = ": keepalive\n\n";
    queued_ = 1;
    return TakeWaitingLocked();
  }
  // REQUIRES: state_->mu held, state_->closed set.
  Delivery TakeWaitingForCloseLocked() {
    if (!waiting_) return nullptr;
    return [next = std::move(waiting_)] { next(std::optional<std::string>()); };
  }

  std::string TakeQueueLocked() {
    std::string chunk = std::move(queue_);
    queue_.clear();
    queued_ = 0;
    last_sent_ = Clock::now();
    return chunk;
  }

 private:
  void Push(const std::string& text) {
    if (queued_ >= max_queued_) {
      queue_ = ResetMessage();
      queued_ = 1;
    }
    queue_ += text;
    ++queued_;
  }
  Delivery TakeWaitingLocked() {
    if (!waiting_ || queue_.empty()) return nullptr;
    NextCallback next = std::move(waiting_);
    waiting_ = nullptr;
    return [next = std::move(next), chunk = TakeQueueLocked()]() mutable {
      next(std::optional<std::string>(std::move(chunk)));
    };
  }

  std::shared_ptr<State> state_;
  const uint64_t sweep_id_;
  const size_t max_queued_;
  std::string queue_;  // SSE text not yet handed to the connection
  size_t queued_ = 0;  // messages in queue_
  NextCallback waiting_;
  Clock::time_point last_sent_ = Clock::now();
};

Status EventHubOptions::Validate() const {
  if (max_queued < 2) return InvalidArgumentError("event stream max_queued must be >= 2");
  if (keepalive.count() <= 0) return InvalidArgumentError("event stream keepalive must be > 0");
  if (retry_ms < 0) return InvalidArgumentError("event stream retry_ms must be >= 0");
  return Status();
}

EventHub::EventHub(Store* store, EventHubOptions options)
    : store_(store), options_(options), state_(std::make_shared<State>()) {}

EventHub::~EventHub() { Shutdown(); }

Status EventHub::Start() {
  HPS_RETURN_IF_ERROR(options_.Validate());
  HPS_ASSIGN_OR_RETURN(std::optional<std::string> next, store_->GetMeta("next_event_seq"));
  uint64_t next_seq = 1;
  if (next) {
    auto [end, ec] = std::from_chars(next->data(), next->data() + next->size(), next_seq);
    if (ec != std::errc() || next_seq == 0) next_seq = 1;  // EventLog::Recover reports it
  }
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->last_seq = std::max(state_->last_seq, next_seq - 1);
  }
  keepalive_thread_ = std::thread([this] { KeepaliveLoop(); });
  return Status();
}

void EventHub::Publish(const WriteSet& writes) {
  if (writes.events.empty() && writes.metrics.empty()) return;
  uint64_t last = 0;
  for (const proto::Event& e : writes.events) last = std::max(last, e.seq);
  if (state_->open.load() == 0) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->last_seq = std::max(state_->last_seq, last);
    return;
  }
  std::map<uint64_t, uint64_t> sweep_of;  // trial id -> sweep id, from this batch
  for (const proto::Trial& t : writes.trials) sweep_of[t.id] = t.sweep_id;
  std::vector<Message> messages;
  messages.reserve(writes.events.size() + writes.metrics.size());
  for (const proto::Event& e : writes.events) {
    messages.push_back({e.sweep_id, SseMessage("event", proto::ToJson(e), e.seq)});
  }
  for (const auto& [trial_id, point] : writes.metrics) {
    auto it = sweep_of.find(trial_id);
    proto::ReportNotice notice{it == sweep_of.end() ? 0 : it->second, trial_id, point.step,
                               point.values};
    messages.push_back({notice.sweep_id, SseMessage("report", proto::ToJson(notice))});
  }
  std::vector<Delivery> deliver;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->last_seq = std::max(state_->last_seq, last);
    for (const std::weak_ptr<Stream>& weak : state_->streams) {
      std::shared_ptr<Stream> stream = weak.lock();
      if (!stream) continue;
      if (Delivery d = stream->OfferLocked(messages)) deliver.push_back(std::move(d));
    }
  }
  for (Delivery& d : deliver) d();
}

std::shared_ptr<BodySource> EventHub::Subscribe(std::optional<uint64_t> after_seq,
                                                uint64_t sweep_id) {
  auto stream = std::make_shared<Stream>(state_, sweep_id, options_.max_queued);
  state_->open.fetch_add(1);
  uint64_t hello_seq = 0;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    hello_seq = state_->last_seq;
    state_->streams.push_back(stream);
  }
  // Events up to hello_seq are stored; later ones reach the stream live.
  std::vector<std::string> front;
  front.push_back("retry: " + std::to_string(options_.retry_ms) + "\n" +
                  SseMessage("hello", proto::ToJson(proto::StreamHello{hello_seq})));
  if (after_seq && *after_seq < hello_seq) {
    if (hello_seq - *after_seq > options_.max_replay) {
      front.push_back(ResetMessage());
    } else {
      uint64_t from = *after_seq;
      while (from < hello_seq) {
        StatusOr<std::vector<proto::Event>> events = store_->ReadEvents(from, 1000);
        if (!events.ok() || events->empty()) {
          front.push_back(ResetMessage());  // the client reads everything instead
          break;
        }
        for (const proto::Event& e : *events) {
          from = e.seq;
          if (e.seq > hello_seq) break;
          if (sweep_id != 0 && e.sweep_id != 0 && e.sweep_id != sweep_id) continue;
          front.push_back(SseMessage("event", proto::ToJson(e), e.seq));
        }
      }
    }
  }
  Delivery deliver;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    deliver = stream->PrependLocked(std::move(front));
  }
  if (deliver) deliver();
  return stream;
}

void EventHub::Shutdown() {
  std::vector<Delivery> end;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->closed) {
      state_->closed = true;
      for (const std::weak_ptr<Stream>& weak : state_->streams) {
        if (std::shared_ptr<Stream> stream = weak.lock()) {
          if (Delivery d = stream->TakeWaitingForCloseLocked()) end.push_back(std::move(d));
        }
      }
      state_->streams.clear();
    }
  }
  state_->cv.notify_all();
  for (Delivery& d : end) d();
  if (keepalive_thread_.joinable()) keepalive_thread_.join();
}

size_t EventHub::streams() const { return state_->open.load(); }

void EventHub::KeepaliveLoop() {
  std::unique_lock<std::mutex> lock(state_->mu);
  const auto tick = std::max(options_.keepalive / 4, std::chrono::milliseconds(1));
  while (!state_->closed) {
    state_->cv.wait_for(lock, tick);
    if (state_->closed) break;
    std::vector<Delivery> deliver;
    const Clock::time_point now = Clock::now();
    auto& streams = state_->streams;
    for (size_t i = 0; i < streams.size();) {
      std::shared_ptr<Stream> stream = streams[i].lock();
      if (!stream) {  // its connection is gone
        streams[i] = std::move(streams.back());
        streams.pop_back();
        continue;
      }
      if (Delivery d = stream->KeepaliveLocked(now, options_.keepalive)) {
        deliver.push_back(std::move(d));
      }
      ++i;
    }
    lock.unlock();
    for (Delivery& d : deliver) d();
    lock.lock();
  }
}

}  // namespace hpsweep::coordinator
