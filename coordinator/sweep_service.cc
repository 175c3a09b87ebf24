#include "coordinator/sweep_service.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "common/logging.h"
#include "common/utf8.h"

namespace hpsweep::coordinator {

using proto::Json;
using proto::Sweep;
using proto::SweepState;
using proto::Trial;
using proto::TrialState;

struct SweepService::SweepEntry {
  Sweep sweep;
  std::shared_ptr<const SearchSpace> space;  // searchers keep a reference: stable address
  std::shared_ptr<Searcher> searcher;        // owns a reference to `space` (see MakeEntry)
  std::map<uint64_t, Trial> trials;    // by id (= creation order)
  std::vector<TrialView> history;      // by trial number
  std::set<uint64_t> requeued;         // pending trial ids waiting for a new lease
  std::unordered_map<uint64_t, proto::Values> last_values;
  bool exhausted = false;              // the searcher has nothing more to propose
  std::unique_ptr<SuggestionQueue> queue;  // slow searchers with an executor
};

namespace {

int64_t* CounterFor(proto::SweepCounters& c, TrialState state) {
  switch (state) {
    case TrialState::kPending:
      return &c.pending;
    case TrialState::kLeased:
    case TrialState::kRunning:
      return &c.running;
    case TrialState::kCompleted:
      return &c.completed;
    case TrialState::kFailed:
      return &c.failed;
    case TrialState::kPruned:
      return &c.pruned;
    case TrialState::kCancelled:
      return &c.cancelled;
  }
  return &c.pending;
}

bool IsLive(TrialState s) { return s == TrialState::kLeased || s == TrialState::kRunning; }

// A cancelled or pruned trial is answered "stop" (not an error), so its
// worker ends it gracefully.
bool IsStopped(const Trial& trial, proto::Decision* decision) {
  if (trial.state != TrialState::kCancelled && trial.state != TrialState::kPruned) return false;
  decision->stop = true;
  decision->reason = "trial " + std::string(proto::TrialStateName(trial.state));
  return true;
}

bool Better(const proto::SweepSpec& spec, double a, double b) {
  return spec.metric.goal == proto::Goal::kMaximize ? a > b : a < b;
}

// About how many bytes `value` takes as JSON, without writing it (an upper
// bound for numbers, exact enough for strings and structure).
size_t ApproxJsonBytes(const Json& value) {
  size_t total = 0;
  std::vector<const Json*> stack = {&value};
  while (!stack.empty()) {
    const Json* v = stack.back();
    stack.pop_back();
    if (v->is_string()) {
      total += v->get_ref<const std::string&>().size() + 2;
    } else if (v->is_object()) {
      total += 2;
      for (auto it = v->begin(); it != v->end(); ++it) {
        total += it.key().size() + 4;
        stack.push_back(&*it);
      }
    } else if (v->is_array()) {
      total += 2;
      for (const Json& item : *v) {
        total += 1;
        stack.push_back(&item);
      }
    } else {
      total += 24;
    }
  }
  return total;
}

size_t ApproxJsonBytes(const Trial& t) {
  size_t total = 400 + t.lease_owner.size() + t.error.size() + ApproxJsonBytes(t.params);
  for (const auto& [name, value] : t.final_values) total += name.size() + 28;
  return total;
}

Status TrialNotFound(uint64_t id) {
  return NotFoundError("trial " + std::to_string(id) + " does not exist");
}

}  // namespace

Status SweepServiceOptions::Validate() const {
  if (max_page_size < 1) return InvalidArgumentError("max_page_size must be >= 1");
  if (max_page_bytes < 1) return InvalidArgumentError("max_page_bytes must be >= 1");
  if (!(retry_after_seconds > 0)) return InvalidArgumentError("retry_after_seconds must be > 0");
  return Status();
}

SweepService::SweepService(Clock* clock, SweepServiceOptions options, ProgramValidator validator,
                           SearcherFactory searcher_factory)
    : clock_(clock),
      options_(options),
      validator_(std::move(validator)),
      searcher_factory_(searcher_factory ? std::move(searcher_factory) : SearcherFactory(CreateSearcher)) {}

SweepService::~SweepService() = default;

StatusOr<std::unique_ptr<SweepService::SweepEntry>> SweepService::MakeEntry(Sweep sweep) const {
  auto entry = std::make_unique<SweepEntry>();
  HPS_ASSIGN_OR_RETURN(SearchSpace space, SearchSpace::Create(sweep.spec));
  auto shared_space = std::make_shared<const SearchSpace>(std::move(space));
  HPS_ASSIGN_OR_RETURN(std::unique_ptr<Searcher> searcher, searcher_factory_(*shared_space));
  // A fit still running when the entry goes keeps the searcher, and through
  // the deleter the space it refers to, alive.
  entry->searcher = std::shared_ptr<Searcher>(
      searcher.release(), [shared_space](Searcher* s) { delete s; });
  entry->space = std::move(shared_space);
  entry->sweep = std::move(sweep);
  return entry;
}

Status SweepService::Recover(Store& store) {
  // A sweep whose record, search space or trials cannot be rebuilt is left
  // out (logged with its key, counted in Stats) and every other sweep loads;
  // its ids are never handed out again, so nothing of it is overwritten.
  auto skip = [&](uint64_t id, const Status& why) -> Status {
    ++sweeps_unreadable_;
    HPS_LOG(ERROR) << "sweep " << id << " is not loaded: " << why;
    next_sweep_id_ = std::max(next_sweep_id_, id + 1);
    std::vector<UndecodableRecord> bad;
    HPS_ASSIGN_OR_RETURN(std::vector<Trial> trials, store.LoadTrials(id, 0, 0, &bad));
    for (const Trial& t : trials) next_trial_id_ = std::max(next_trial_id_, t.id + 1);
    for (const UndecodableRecord& b : bad) next_trial_id_ = std::max(next_trial_id_, b.trial_id + 1);
    return Status();
  };
  std::vector<UndecodableRecord> unreadable;
  HPS_ASSIGN_OR_RETURN(std::vector<Sweep> sweeps, store.LoadSweeps(&unreadable));
  for (const UndecodableRecord& bad : unreadable) HPS_RETURN_IF_ERROR(skip(bad.sweep_id, bad.status));
  for (Sweep& s : sweeps) {
    const uint64_t id = s.id;
    auto made = MakeEntry(std::move(s));
    if (!made.ok()) {
      HPS_RETURN_IF_ERROR(skip(id, DataLossError("sweeps key " + std::to_string(id) +
                                                 ": its search space cannot be rebuilt: " +
                                                 made.status().ToString())));
      continue;
    }
    std::unique_ptr<SweepEntry> entry = std::move(made).value();
    std::vector<UndecodableRecord> bad_trials;
    HPS_ASSIGN_OR_RETURN(std::vector<Trial> trials, store.LoadTrials(id, 0, 0, &bad_trials));
    Status trials_ok = bad_trials.empty() ? Status() : bad_trials.front().status;
    for (const Trial& t : trials) {
      // Numbers are 0..n-1 in creation order; anything else would size the
      // history past what the store holds.
      if (trials_ok.ok() && t.number >= trials.size()) {
        trials_ok = DataLossError("trial " + std::to_string(t.id) + " has number " +
                                  std::to_string(t.number) + " but its sweep has " +
                                  std::to_string(trials.size()) + " trials");
      }
    }
    if (!trials_ok.ok()) {
      HPS_RETURN_IF_ERROR(skip(id, trials_ok));
      continue;
    }
    entry->sweep.counters = proto::SweepCounters();
    entry->sweep.best_trial_id = 0;
    entry->sweep.best_value.reset();
    for (Trial& t : trials) {
      next_trial_id_ = std::max(next_trial_id_, t.id + 1);
      sweep_of_trial_[t.id] = id;
      ++entry->sweep.counters.created;
      ++*CounterFor(entry->sweep.counters, t.state);
      if (t.state == TrialState::kPending) entry->requeued.insert(t.id);
      if (IsLive(t.state)) {
        leased_trials_.insert(t.id);
        ClientEntry& client = clients_[t.lease_owner];
        client.info.client_id = t.lease_owner;
        client.trials.insert(t.id);
        if (t.last_step >= 0) {
          auto last = store.ReadMetrics(t.id, t.last_step, 1);
          if (last.ok() && !last->empty()) entry->last_values[t.id] = last->front().values;
        }
      }
      if (t.state == TrialState::kCompleted && t.objective &&
          (entry->sweep.best_trial_id == 0 ||
           Better(entry->sweep.spec, *t.objective, *entry->sweep.best_value))) {
        entry->sweep.best_trial_id = t.id;
        entry->sweep.best_value = t.objective;
      }
      entry->sweep.updated_us = std::max(entry->sweep.updated_us, t.updated_us);
      if (entry->history.size() <= t.number) entry->history.resize(t.number + 1);
      entry->history[t.number] = TrialView{t.number, t.params, t.state, t.objective};
      entry->trials.emplace(t.id, std::move(t));
    }
    next_sweep_id_ = std::max(next_sweep_id_, id + 1);
    AttachQueue(*sweeps_.emplace(id, std::move(entry)).first->second);
  }
  HPS_ASSIGN_OR_RETURN(std::optional<std::string> seq, store.GetMeta("next_event_seq"));
  if (seq) {
    uint64_t parsed = 0;
    auto [end, ec] = std::from_chars(seq->data(), seq->data() + seq->size(), parsed);
    if (ec != std::errc() || end != seq->data() + seq->size() || parsed == 0) {
      return DataLossError("meta key next_event_seq holds \"" + *seq + "\", not an event number");
    }
    next_event_seq_ = parsed;
  }
  HPS_LOG(INFO) << "recovered " << sweeps_.size() << " sweeps, " << sweep_of_trial_.size()
                << " trials, " << leased_trials_.size() << " live leases";
  return Status();
}

void SweepService::SetSuggestionExecutor(SuggestionExecutor executor) {
  executor_ = std::move(executor);
}

void SweepService::AttachQueue(SweepEntry& entry) {
  if (!executor_.background || !entry.searcher->IsSlow()) return;
  SweepEntry* e = &entry;  // entries are never removed, and their address is stable
  entry.queue = std::make_unique<SuggestionQueue>(
      entry.searcher, executor_, [e] { return e->history; },
      [this, id = entry.sweep.id](const Status& fit) { ServeWaiters(id, fit); });
}

StatusOr<std::optional<Suggestion>> SweepService::NextParams(SweepEntry& entry, uint64_t number,
                                                             const LeasePolicy& policy,
                                                             bool* blocked) {
  if (!entry.queue) {
    HPS_ASSIGN_OR_RETURN(std::vector<Suggestion> batch,
                         entry.searcher->SuggestBatch(entry.history, number, 1));
    if (batch.empty()) return std::optional<Suggestion>();
    return std::optional<Suggestion>(std::move(batch[0]));
  }
  if (std::optional<Suggestion> fresh = entry.queue->Take()) return fresh;
  if (policy.may_wait) {
    *blocked = true;
    return std::optional<Suggestion>();
  }
  ++suggestions_fallback_;
  Suggestion fallback{FallbackSuggestion(*entry.space, number), {}};
  fallback.origin.source = "fallback";
  fallback.origin.reason = policy.fallback_reason;
  return std::optional<Suggestion>(std::move(fallback));
}

void SweepService::ResultArrived(SweepEntry& entry) {
  if (!entry.queue) return;
  entry.queue->Invalidate();
  ScheduleServeWaiters(entry.sweep.id);
}

void SweepService::ScheduleServeWaiters(uint64_t sweep_id) {
  if (!executor_.deliver || waiters_.empty()) return;
  // Posted, so that the writes of the call that got us here are submitted
  // before those of the asks it unblocks: storage stays a prefix of memory.
  executor_.deliver([this, sweep_id] { ServeWaiters(sweep_id, Status()); });
}

void SweepService::ServeWaiters(uint64_t sweep_id, const Status& fit_status) {
  if (!fit_status.ok()) {
    HPS_LOG(WARNING) << "searcher of sweep " << sweep_id << ": " << fit_status;
  }
  const int64_t now = clock_->NowMicros();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    // Past its deadline, an ask is ExpireWaits' to answer (with a fallback).
    if (!it->sweeps.count(sweep_id) || it->deadline_us <= now) {
      ++it;
      continue;
    }
    LeasePolicy policy;
    policy.waited_since_us = it->since_us;
    if (!fit_status.ok()) {
      policy.may_wait = false;
      policy.fallback_reason = "the searcher failed: " + fit_status.ToString();
    }
    std::set<uint64_t> blocked;
    StatusOr<Mutation<proto::AskResponse>> m = AskPass(it->request, policy, &blocked);
    if (m.ok() && m->response.trials.empty() && m->writes.empty() && !blocked.empty()) {
      it->sweeps = std::move(blocked);
      ++it;
      continue;
    }
    AskCallback done = std::move(it->done);
    it = waiters_.erase(it);
    done(std::move(m));
  }
  if (SweepEntry* entry = FindSweep(sweep_id)) RequestFits(*entry);
}

void SweepService::RequestFits(SweepEntry& entry) {
  if (!entry.queue || proto::IsTerminal(entry.sweep.state)) return;
  const proto::SweepSpec& spec = entry.sweep.spec;
  int64_t demand = 0;
  for (const Waiter& w : waiters_) {
    if (w.sweeps.count(entry.sweep.id)) demand += w.request.count;
  }
  demand = std::min(demand, spec.max_trials - entry.sweep.counters.created);
  if (spec.max_concurrent_trials > 0) {
    demand = std::min(demand, spec.max_concurrent_trials - entry.sweep.counters.running);
  }
  if (demand > 0) entry.queue->Request(static_cast<int>(std::min<int64_t>(demand, 1024)));
}

// --- helpers ------------------------------------------------------------------

SweepService::SweepEntry* SweepService::FindSweep(uint64_t sweep_id) {
  auto it = sweeps_.find(sweep_id);
  return it == sweeps_.end() ? nullptr : it->second.get();
}

const SweepService::SweepEntry* SweepService::FindSweep(uint64_t sweep_id) const {
  auto it = sweeps_.find(sweep_id);
  return it == sweeps_.end() ? nullptr : it->second.get();
}

StatusOr<std::pair<SweepService::SweepEntry*, Trial*>> SweepService::FindTrial(uint64_t trial_id) {
  auto it = sweep_of_trial_.find(trial_id);
  if (it == sweep_of_trial_.end()) return TrialNotFound(trial_id);
  SweepEntry* entry = FindSweep(it->second);
  auto t = entry->trials.find(trial_id);
  return std::make_pair(entry, &t->second);
}

void SweepService::SetState(SweepEntry& entry, Trial& trial, TrialState state) {
  if (trial.state == state) return;
  --*CounterFor(entry.sweep.counters, trial.state);
  ++*CounterFor(entry.sweep.counters, state);
  if (IsLive(trial.state) && !IsLive(state)) {
    leased_trials_.erase(trial.id);
    auto c = clients_.find(trial.lease_owner);
    if (c != clients_.end()) c->second.trials.erase(trial.id);
    trial.lease_owner.clear();
    trial.lease_deadline_us = 0;
    entry.last_values.erase(trial.id);
  }
  if (IsLive(state)) leased_trials_.insert(trial.id);
  if (trial.state == TrialState::kPending) entry.requeued.erase(trial.id);
  trial.state = state;
  trial.updated_us = clock_->NowMicros();
  entry.history[trial.number].state = state;
  entry.history[trial.number].objective = trial.objective;
}

Status SweepService::CheckLease(const Trial& trial, const std::string& client_id) const {
  if (IsLive(trial.state) && trial.lease_owner == client_id) return Status();
  if (IsLive(trial.state)) {
    return AbortedError("lease lost: trial " + std::to_string(trial.id) + " is leased to \"" +
                        trial.lease_owner + "\", not \"" + client_id + "\"");
  }
  if (trial.state == TrialState::kPending) {
    return AbortedError("lease lost: the lease of trial " + std::to_string(trial.id) +
                        " expired and it was requeued");
  }
  return FailedPreconditionError("trial " + std::to_string(trial.id) + " is already " +
                                 std::string(proto::TrialStateName(trial.state)));
}

void SweepService::Touch(const std::string& client_id, const std::string& kind) {
  ClientEntry& c = clients_[client_id];
  c.info.client_id = client_id;
  if (!kind.empty()) c.info.kind = kind;
  c.info.last_seen_us = clock_->NowMicros();
}

void SweepService::AddEvent(WriteSet& writes, std::string type, uint64_t sweep_id,
                            uint64_t trial_id, std::string detail) {
  proto::Event e;
  e.seq = next_event_seq_++;
  e.time_us = clock_->NowMicros();
  e.type = std::move(type);
  e.sweep_id = sweep_id;
  e.trial_id = trial_id;
  e.detail = std::move(detail);
  writes.events.push_back(std::move(e));
  // Replace any earlier value in this set: the last one wins.
  for (auto& kv : writes.meta) {
    if (kv.first == "next_event_seq") {
      kv.second = std::to_string(next_event_seq_);
      return;
    }
  }
  writes.meta.emplace_back("next_event_seq", std::to_string(next_event_seq_));
}

// Sweep records are written only when the sweep's own state changes: its
// counters, best trial and update time are derived from its trials, and
// Recover recomputes them, so per-trial writes stay small.
void SweepService::Record(WriteSet& writes, const SweepEntry& entry) {
  writes.sweeps.push_back(entry.sweep);
}

void SweepService::Record(WriteSet& writes, const Trial& trial) { writes.trials.push_back(trial); }

bool SweepService::HasMoreWork(const SweepEntry& entry) const {
  if (proto::IsTerminal(entry.sweep.state)) return false;
  return !entry.requeued.empty() || entry.sweep.counters.running > 0 ||
         (!entry.exhausted && entry.sweep.counters.created < entry.sweep.spec.max_trials);
}

void SweepService::MaybeFinishSweep(SweepEntry& entry, WriteSet& writes) {
  if (proto::IsTerminal(entry.sweep.state) || HasMoreWork(entry)) return;
  entry.sweep.state = SweepState::kCompleted;
  entry.sweep.updated_us = clock_->NowMicros();
  Record(writes, entry);
  AddEvent(writes, "sweep_completed", entry.sweep.id, 0, "");
}

// --- sweeps -------------------------------------------------------------------

StatusOr<Mutation<Sweep>> SweepService::CreateSweep(const Json& body) {
  HPS_ASSIGN_OR_RETURN(proto::SweepSpec spec, proto::ParseSweepSpec(body));
  if (validator_ && !spec.program.external) HPS_RETURN_IF_ERROR(validator_(spec));
  Sweep sweep;
  sweep.id = next_sweep_id_;
  sweep.spec = std::move(spec);
  sweep.created_us = sweep.updated_us = clock_->NowMicros();
  HPS_ASSIGN_OR_RETURN(std::unique_ptr<SweepEntry> entry, MakeEntry(std::move(sweep)));
  if (entry->sweep.spec.method == proto::Method::kGrid) {
    const int64_t grid = entry->space->GridSize(100'000'000);
    if (entry->sweep.spec.max_trials == 0 || entry->sweep.spec.max_trials > grid) {
      entry->sweep.spec.max_trials = grid;
    }
  }
  ++next_sweep_id_;
  Mutation<Sweep> m;
  Record(m.writes, *entry);
  AddEvent(m.writes, "sweep_created", entry->sweep.id, 0, entry->sweep.spec.name);
  m.response = entry->sweep;
  AttachQueue(*sweeps_.emplace(entry->sweep.id, std::move(entry)).first->second);
  return m;
}

StatusOr<Mutation<Sweep>> SweepService::CancelSweep(uint64_t sweep_id) {
  SweepEntry* entry = FindSweep(sweep_id);
  if (!entry) return NotFoundError("sweep " + std::to_string(sweep_id) + " does not exist");
  Mutation<Sweep> m;
  if (proto::IsTerminal(entry->sweep.state)) {
    m.response = entry->sweep;  // cancelling a finished sweep changes nothing
    return m;
  }
  for (auto& [id, trial] : entry->trials) {
    if (proto::IsTerminal(trial.state)) continue;
    SetState(*entry, trial, TrialState::kCancelled);
    Record(m.writes, trial);
  }
  entry->sweep.state = SweepState::kCancelled;
  entry->sweep.updated_us = clock_->NowMicros();
  Record(m.writes, *entry);
  AddEvent(m.writes, "sweep_cancelled", sweep_id, 0, "");
  m.response = entry->sweep;
  ScheduleServeWaiters(sweep_id);  // its waiting asks are answered: nothing to run
  return m;
}

std::vector<Sweep> SweepService::ListSweeps() const {
  std::vector<Sweep> out;
  out.reserve(sweeps_.size());
  for (const auto& [id, entry] : sweeps_) out.push_back(entry->sweep);
  return out;
}

StatusOr<Sweep> SweepService::GetSweep(uint64_t sweep_id) const {
  const SweepEntry* entry = FindSweep(sweep_id);
  if (!entry) return NotFoundError("sweep " + std::to_string(sweep_id) + " does not exist");
  return entry->sweep;
}

// --- trials -------------------------------------------------------------------

StatusOr<proto::TrialPage> SweepService::ListTrials(uint64_t sweep_id,
                                                     const std::string& page_token, int64_t limit,
                                                     std::optional<TrialState> state) const {
  const SweepEntry* entry = FindSweep(sweep_id);
  if (!entry) return NotFoundError("sweep " + std::to_string(sweep_id) + " does not exist");
  uint64_t after = 0;
  if (!page_token.empty()) {
    char* end = nullptr;
    after = std::strtoull(page_token.c_str(), &end, 10);
    if (end == page_token.c_str() || *end != '\0') {
      return InvalidArgumentError("malformed page_token \"" + page_token + "\"", "page_token");
    }
  }
  if (limit <= 0 || limit > options_.max_page_size) limit = options_.max_page_size;
  proto::TrialPage page;
  size_t page_bytes = 0;
  for (auto it = entry->trials.upper_bound(after); it != entry->trials.end(); ++it) {
    if (state && it->second.state != *state) continue;
    const size_t bytes = ApproxJsonBytes(it->second);
    if (static_cast<int64_t>(page.trials.size()) == limit ||
        (!page.trials.empty() && page_bytes + bytes > options_.max_page_bytes)) {
      page.next_page_token = std::to_string(page.trials.back().id);
      break;
    }
    page_bytes += bytes;
    page.trials.push_back(it->second);
  }
  return page;
}

StatusOr<Trial> SweepService::GetTrial(uint64_t trial_id) const {
  auto it = sweep_of_trial_.find(trial_id);
  if (it == sweep_of_trial_.end()) return TrialNotFound(trial_id);
  return FindSweep(it->second)->trials.at(trial_id);
}

StatusOr<Trial> SweepService::BestTrial(uint64_t sweep_id) const {
  const SweepEntry* entry = FindSweep(sweep_id);
  if (!entry) return NotFoundError("sweep " + std::to_string(sweep_id) + " does not exist");
  if (entry->sweep.best_trial_id == 0) {
    return NotFoundError("sweep " + std::to_string(sweep_id) + " has no completed trial yet");
  }
  return entry->trials.at(entry->sweep.best_trial_id);
}

// --- ask/tell -----------------------------------------------------------------

StatusOr<Trial*> SweepService::LeaseOne(SweepEntry& entry, const proto::AskRequest& request,
                                        const LeasePolicy& policy, WriteSet& writes,
                                        bool* blocked) {
  const proto::SweepSpec& spec = entry.sweep.spec;
  if (proto::IsTerminal(entry.sweep.state)) return static_cast<Trial*>(nullptr);
  if (spec.max_concurrent_trials > 0 && entry.sweep.counters.running >= spec.max_concurrent_trials) {
    return static_cast<Trial*>(nullptr);
  }
  const int64_t now = clock_->NowMicros();
  Trial* trial = nullptr;
  if (!entry.requeued.empty()) {
    trial = &entry.trials.at(*entry.requeued.begin());
  } else if (!entry.exhausted && entry.sweep.counters.created < spec.max_trials) {
    const uint64_t number = static_cast<uint64_t>(entry.sweep.counters.created);
    HPS_ASSIGN_OR_RETURN(std::optional<Suggestion> next, NextParams(entry, number, policy, blocked));
    if (*blocked) return static_cast<Trial*>(nullptr);
    if (!next) {
      entry.exhausted = true;
      return static_cast<Trial*>(nullptr);
    }
    Trial fresh;
    fresh.id = next_trial_id_++;
    fresh.sweep_id = entry.sweep.id;
    fresh.number = number;
    fresh.params = std::move(next->params);
    fresh.origin = std::move(next->origin);
    if (fresh.origin.source.empty()) fresh.origin.source = std::string(proto::MethodName(spec.method));
    if (policy.waited_since_us > 0) {
      fresh.origin.wait_seconds = static_cast<double>(now - policy.waited_since_us) * 1e-6;
    }
    fresh.created_us = fresh.updated_us = now;
    sweep_of_trial_[fresh.id] = entry.sweep.id;
    ++entry.sweep.counters.created;
    ++entry.sweep.counters.pending;
    entry.history.push_back(TrialView{number, fresh.params, TrialState::kPending, std::nullopt});
    trial = &entry.trials.emplace(fresh.id, std::move(fresh)).first->second;
  } else {
    return static_cast<Trial*>(nullptr);
  }
  SetState(entry, *trial, TrialState::kLeased);
  trial->lease_owner = request.client_id;
  trial->lease_seconds = request.lease_seconds;
  trial->lease_deadline_us = now + request.lease_seconds * 1'000'000;
  clients_[request.client_id].trials.insert(trial->id);
  entry.sweep.updated_us = now;
  Record(writes, *trial);
  if (entry.sweep.state == SweepState::kPending) {
    entry.sweep.state = SweepState::kRunning;
    Record(writes, entry);
  }
  AddEvent(writes, "trial_leased", entry.sweep.id, trial->id, request.client_id);
  return trial;
}

StatusOr<Mutation<proto::AskResponse>> SweepService::AskPass(const proto::AskRequest& request,
                                                             const LeasePolicy& policy,
                                                             std::set<uint64_t>* blocked) {
  Touch(request.client_id, request.kind);
  std::vector<SweepEntry*> candidates;
  if (request.sweep_id != 0) {
    SweepEntry* entry = FindSweep(request.sweep_id);
    if (!entry) return NotFoundError("sweep " + std::to_string(request.sweep_id) + " does not exist");
    const bool external = entry->sweep.spec.program.external;
    if (external && request.kind == "worker") {
      return FailedPreconditionError("sweep " + std::to_string(request.sweep_id) +
                                     " is external: ask/tell clients run its trials, not workers");
    }
    if (!external && request.kind != "worker") {
      return FailedPreconditionError("sweep " + std::to_string(request.sweep_id) + " runs model \"" +
                                     entry->sweep.spec.program.model +
                                     "\": its trials go to workers (ask with \"kind\": \"worker\")");
    }
    candidates.push_back(entry);
  } else {
    const bool worker = request.kind == "worker";
    for (auto& [id, entry] : sweeps_) {
      if (!proto::IsTerminal(entry->sweep.state) && entry->sweep.spec.program.external != worker) {
        candidates.push_back(entry.get());
      }
    }
  }
  Mutation<proto::AskResponse> m;
  const int64_t now = clock_->NowMicros();
  auto add = [&](SweepEntry& entry, const Trial& trial) {
    m.response.trials.push_back(
        proto::LeasedTrial{trial, entry.sweep.spec.metric, entry.sweep.spec.program});
  };
  // Idempotent re-ask: the client's live trials come back first, lease renewed.
  const ClientEntry& client = clients_[request.client_id];
  for (uint64_t id : std::vector<uint64_t>(client.trials.begin(), client.trials.end())) {
    if (static_cast<int64_t>(m.response.trials.size()) >= request.count) break;
    auto found = FindTrial(id);
    if (!found.ok()) continue;
    auto [entry, trial] = *found;
    if (std::find(candidates.begin(), candidates.end(), entry) == candidates.end()) continue;
    if (!IsLive(trial->state) || trial->lease_owner != request.client_id) continue;
    trial->lease_deadline_us = now + request.lease_seconds * 1'000'000;
    trial->lease_seconds = request.lease_seconds;
    Record(m.writes, *trial);
    add(*entry, *trial);
  }
  for (SweepEntry* entry : candidates) {
    while (static_cast<int64_t>(m.response.trials.size()) < request.count) {
      bool waits = false;
      StatusOr<Trial*> trial = LeaseOne(*entry, request, policy, m.writes, &waits);
      if (!trial.ok()) {
        // Trials already leased in this call are in memory and in m.writes:
        // hand them out rather than strand them until their lease expires.
        if (m.response.trials.empty()) return trial.status();
        HPS_LOG(WARNING) << "searcher of sweep " << entry->sweep.id << ": " << trial.status();
        break;
      }
      if (waits) blocked->insert(entry->sweep.id);
      if (*trial == nullptr) break;
      add(*entry, **trial);
    }
    MaybeFinishSweep(*entry, m.writes);
  }
  bool more = false;
  for (SweepEntry* entry : candidates) more = more || HasMoreWork(*entry);
  m.response.done = m.response.trials.empty() && !more;
  if (m.response.trials.empty() && more) m.response.retry_after_seconds = options_.retry_after_seconds;
  return m;
}

void SweepService::Ask(const proto::AskRequest& request, AskCallback done) {
  std::set<uint64_t> blocked;
  StatusOr<Mutation<proto::AskResponse>> m = AskPass(request, LeasePolicy(), &blocked);
  if (!m.ok() || !m->response.trials.empty() || !m->writes.empty() || blocked.empty()) {
    return done(std::move(m));
  }
  // Nothing to hand out until a fit delivers: park the ask (nothing changed
  // yet, so the later pass starts from the same state).
  double wait_seconds = std::numeric_limits<double>::infinity();
  for (uint64_t id : blocked) {
    wait_seconds = std::min(wait_seconds, FindSweep(id)->searcher->MaxWaitSeconds());
  }
  const int64_t now = clock_->NowMicros();
  ++asks_deferred_;
  waiters_.push_back(Waiter{request, std::move(done), now,
                            now + static_cast<int64_t>(wait_seconds * 1e6), blocked});
  if (wait_seconds <= 0) return ExpireWaits();
  for (uint64_t id : blocked) RequestFits(*FindSweep(id));
}

void SweepService::ExpireWaits() {
  const int64_t now = clock_->NowMicros();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->deadline_us > now) {
      ++it;
      continue;
    }
    LeasePolicy policy;
    policy.may_wait = false;
    policy.waited_since_us = it->since_us;
    std::ostringstream reason;
    reason << "no fresh model suggestion within max_wait_seconds ("
           << static_cast<double>(it->deadline_us - it->since_us) * 1e-6 << " s)";
    policy.fallback_reason = reason.str();
    std::set<uint64_t> blocked;
    StatusOr<Mutation<proto::AskResponse>> m = AskPass(it->request, policy, &blocked);
    AskCallback done = std::move(it->done);
    it = waiters_.erase(it);
    done(std::move(m));
  }
}

void SweepService::AnswerWaitingAsks() {
  std::list<Waiter> waiting;
  waiting.swap(waiters_);
  for (Waiter& w : waiting) {
    Mutation<proto::AskResponse> m;
    m.response.retry_after_seconds = options_.retry_after_seconds;
    w.done(std::move(m));
  }
}

StatusOr<Mutation<proto::Decision>> SweepService::Heartbeat(uint64_t trial_id,
                                                             const proto::HeartbeatRequest& request) {
  Touch(request.client_id, "");
  HPS_ASSIGN_OR_RETURN(auto found, FindTrial(trial_id));
  auto [entry, trial] = found;
  Mutation<proto::Decision> m;
  if (IsStopped(*trial, &m.response)) return m;
  HPS_RETURN_IF_ERROR(CheckLease(*trial, request.client_id));
  trial->lease_deadline_us = clock_->NowMicros() + trial->lease_seconds * 1'000'000;
  Record(m.writes, *trial);
  m.response.lease_deadline_us = trial->lease_deadline_us;
  return m;
}

StatusOr<Mutation<proto::Decision>> SweepService::Report(uint64_t trial_id,
                                                          const proto::ReportRequest& request) {
  Touch(request.client_id, "");
  HPS_ASSIGN_OR_RETURN(auto found, FindTrial(trial_id));
  auto [entry, trial] = found;
  Mutation<proto::Decision> m;
  if (IsStopped(*trial, &m.response)) return m;
  HPS_RETURN_IF_ERROR(CheckLease(*trial, request.client_id));
  const int64_t now = clock_->NowMicros();
  if (trial->state == TrialState::kLeased) {
    SetState(*entry, *trial, TrialState::kRunning);
    AddEvent(m.writes, "trial_running", entry->sweep.id, trial->id, request.client_id);
  }
  trial->last_step = std::max(trial->last_step, request.step);
  trial->lease_deadline_us = now + trial->lease_seconds * 1'000'000;
  trial->updated_us = now;
  entry->last_values[trial->id] = request.values;
  m.writes.metrics.emplace_back(trial->id, proto::MetricPoint{request.step, request.values, now});
  Record(m.writes, *trial);
  m.response.lease_deadline_us = trial->lease_deadline_us;
  return m;
}

StatusOr<Mutation<Trial>> SweepService::Complete(uint64_t trial_id,
                                                 const proto::CompleteRequest& request) {
  Touch(request.client_id, "");
  HPS_ASSIGN_OR_RETURN(auto found, FindTrial(trial_id));
  auto [entry, trial] = found;
  Mutation<Trial> m;
  // Completing twice, or completing a trial that was stopped, is answered with
  // the trial as it stands.
  if (trial->state == TrialState::kCompleted || trial->state == TrialState::kCancelled ||
      trial->state == TrialState::kPruned) {
    m.response = *trial;
    return m;
  }
  HPS_RETURN_IF_ERROR(CheckLease(*trial, request.client_id));
  const std::string& metric = entry->sweep.spec.metric.name;
  proto::Values values = request.values;
  auto last = entry->last_values.find(trial->id);
  if (values.find(metric) == values.end() && last != entry->last_values.end()) {
    auto v = last->second.find(metric);
    if (v != last->second.end()) values[metric] = v->second;
  }
  auto objective = values.find(metric);
  if (objective == values.end()) {
    return InvalidArgumentError("values must include the sweep metric \"" + metric +
                                    "\" (no report carried it either)",
                                "/values");
  }
  trial->objective = objective->second;
  trial->final_values = std::move(values);
  SetState(*entry, *trial, TrialState::kCompleted);
  if (entry->sweep.best_trial_id == 0 ||
      Better(entry->sweep.spec, *trial->objective, *entry->sweep.best_value)) {
    entry->sweep.best_trial_id = trial->id;
    entry->sweep.best_value = trial->objective;
  }
  entry->sweep.updated_us = trial->updated_us;
  Record(m.writes, *trial);
  AddEvent(m.writes, "trial_completed", entry->sweep.id, trial->id,
           metric + "=" + std::to_string(*trial->objective));
  MaybeFinishSweep(*entry, m.writes);
  ResultArrived(*entry);
  m.response = *trial;
  return m;
}

StatusOr<Mutation<Trial>> SweepService::Fail(uint64_t trial_id, const proto::FailRequest& request) {
  Touch(request.client_id, "");
  HPS_ASSIGN_OR_RETURN(auto found, FindTrial(trial_id));
  auto [entry, trial] = found;
  Mutation<Trial> m;
  if (proto::IsTerminal(trial->state) && trial->state != TrialState::kCompleted) {
    m.response = *trial;  // already failed/stopped: repeating changes nothing
    return m;
  }
  HPS_RETURN_IF_ERROR(CheckLease(*trial, request.client_id));
  trial->error = request.error;
  SetState(*entry, *trial, TrialState::kFailed);
  Record(m.writes, *trial);
  AddEvent(m.writes, "trial_failed", entry->sweep.id, trial->id, std::string(TruncateUtf8(request.error, 500)));
  MaybeFinishSweep(*entry, m.writes);
  ResultArrived(*entry);
  m.response = *trial;
  return m;
}

StatusOr<Mutation<Trial>> SweepService::Release(uint64_t trial_id,
                                                const proto::HeartbeatRequest& request) {
  Touch(request.client_id, "");
  HPS_ASSIGN_OR_RETURN(auto found, FindTrial(trial_id));
  auto [entry, trial] = found;
  Mutation<Trial> m;
  if (!IsLive(trial->state) && trial->lease_owner.empty()) {
    m.response = *trial;  // already released, expired or finished
    return m;
  }
  HPS_RETURN_IF_ERROR(CheckLease(*trial, request.client_id));
  SetState(*entry, *trial, TrialState::kPending);
  entry->requeued.insert(trial->id);
  Record(m.writes, *trial);
  AddEvent(m.writes, "trial_released", entry->sweep.id, trial->id, request.client_id);
  ScheduleServeWaiters(entry->sweep.id);  // a waiting ask can take it
  m.response = *trial;
  return m;
}

Status SweepService::CheckCheckpointUpload(uint64_t trial_id, const std::string& client_id) const {
  auto it = sweep_of_trial_.find(trial_id);
  if (it == sweep_of_trial_.end()) return TrialNotFound(trial_id);
  return CheckLease(FindSweep(it->second)->trials.at(trial_id), client_id);
}

StatusOr<Mutation<Trial>> SweepService::CheckpointStored(uint64_t trial_id, int64_t step) {
  HPS_ASSIGN_OR_RETURN(auto found, FindTrial(trial_id));
  auto [entry, trial] = found;
  Mutation<Trial> m;
  if (step > trial->checkpoint_step) {
    trial->checkpoint_step = step;
    trial->updated_us = clock_->NowMicros();
    Record(m.writes, *trial);
  }
  m.response = *trial;
  return m;
}

WriteSet SweepService::ExpireLeases() {
  WriteSet writes;
  const int64_t now = clock_->NowMicros();
  std::vector<uint64_t> expired;
  for (uint64_t id : leased_trials_) {
    auto found = FindTrial(id);
    if (found.ok() && found->second->lease_deadline_us < now) expired.push_back(id);
  }
  for (uint64_t id : expired) {
    auto [entry, trial] = *FindTrial(id);
    const std::string owner = trial->lease_owner;
    ++leases_expired_;
    if (trial->attempt < entry->sweep.spec.max_restarts) {
      ++trial->attempt;
      SetState(*entry, *trial, TrialState::kPending);
      entry->requeued.insert(trial->id);
      ++trials_requeued_;
      AddEvent(writes, "lease_expired", entry->sweep.id, trial->id, owner + "; requeued");
      ScheduleServeWaiters(entry->sweep.id);  // a waiting ask can take it
    } else {
      trial->error = "lease expired (owner \"" + owner + "\") after " +
                     std::to_string(trial->attempt + 1) + " attempts";
      SetState(*entry, *trial, TrialState::kFailed);
      AddEvent(writes, "lease_expired", entry->sweep.id, trial->id, owner + "; failed");
      ResultArrived(*entry);
    }
    HPS_LOG(WARNING) << "lease of trial " << id << " held by \"" << owner << "\" expired; now "
                     << proto::TrialStateName(trial->state);
    Record(writes, *trial);
    MaybeFinishSweep(*entry, writes);
  }
  return writes;
}

std::vector<proto::ClientInfo> SweepService::ListClients() const {
  std::vector<proto::ClientInfo> out;
  for (const auto& [id, c] : clients_) {
    proto::ClientInfo info = c.info;
    info.active_trials.assign(c.trials.begin(), c.trials.end());
    out.push_back(std::move(info));
  }
  return out;
}

ServiceStats SweepService::Stats() const {
  ServiceStats s;
  s.sweeps = static_cast<int64_t>(sweeps_.size());
  s.trials = static_cast<int64_t>(sweep_of_trial_.size());
  for (const auto& [id, entry] : sweeps_) {
    const auto& c = entry->sweep.counters;
    s.trials_by_state[TrialState::kPending] += c.pending;
    s.trials_by_state[TrialState::kRunning] += c.running;
    s.trials_by_state[TrialState::kCompleted] += c.completed;
    s.trials_by_state[TrialState::kFailed] += c.failed;
    s.trials_by_state[TrialState::kPruned] += c.pruned;
    s.trials_by_state[TrialState::kCancelled] += c.cancelled;
  }
  s.leases_expired = leases_expired_;
  s.trials_requeued = trials_requeued_;
  s.clients = static_cast<int64_t>(clients_.size());
  for (const auto& [id, entry] : sweeps_) {
    if (!entry->queue) continue;
    const SuggestionQueueStats& q = entry->queue->stats();
    s.suggestions_computed += q.computed;
    s.suggestions_stale += q.stale;
    s.suggestion_errors += q.errors;
    s.suggestion_seconds += q.seconds;
  }
  s.suggestions_fallback = suggestions_fallback_;
  s.asks_deferred = asks_deferred_;
  s.asks_waiting = static_cast<int64_t>(waiters_.size());
  s.sweeps_unreadable = sweeps_unreadable_;
  return s;
}

}  // namespace hpsweep::coordinator
