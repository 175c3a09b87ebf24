#include "coordinator/http/event_hub.h"

#include <algorithm>
#include <future>
#include <string>

#include "coordinator/store/memory_store.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

proto::Event MakeEvent(uint64_t seq, uint64_t sweep_id, std::string type = "trial_completed") {
  proto::Event e;
  e.seq = seq;
  e.type = std::move(type);
  e.sweep_id = sweep_id;
  e.trial_id = seq * 10;
  return e;
}

WriteSet Events(std::initializer_list<proto::Event> events) {
  WriteSet w;
  for (const proto::Event& e : events) w.events.push_back(e);
  uint64_t last = 0;
  for (const proto::Event& e : events) last = std::max(last, e.seq);
  w.meta.emplace_back("next_event_seq", std::to_string(last + 1));
  return w;
}

std::string Text(const StatusOr<std::optional<std::string>>& chunk) {
  return !chunk.ok() ? "<error>" : chunk->has_value() ? **chunk : "<end>";
}

// What one Next call hands over at once: the chunk, "<end>", or "<pending>"
// when it waits; a later answer then lands in *late (which must outlive it).
std::string Pull(BodySource& source, std::string* late = nullptr) {
  auto now = std::make_shared<std::optional<std::string>>();
  auto returned = std::make_shared<bool>(false);
  source.Next([now, returned, late](StatusOr<std::optional<std::string>> chunk) {
    if (!*returned) {
      *now = Text(chunk);
    } else if (late != nullptr) {
      *late = Text(chunk);
    }
  });
  *returned = true;
  return now->value_or("<pending>");
}

class EventHubTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = NewMemoryStore(); }
  std::unique_ptr<Store> store_;
};

TEST_F(EventHubTest, LiveStreamStartsWithHelloThenCarriesEventsAndReports) {
  ASSERT_TRUE(store_->Commit(Events({MakeEvent(1, 1), MakeEvent(2, 1)})).ok());
  EventHub hub(store_.get(), {});
  ASSERT_TRUE(hub.Start().ok());
  std::shared_ptr<BodySource> stream = hub.Subscribe(std::nullopt, 0);
  const std::string hello = Pull(*stream);
  EXPECT_NE(hello.find("retry: 1000\n"), std::string::npos) << hello;
  EXPECT_NE(hello.find("event: hello\ndata: {\"last_seq\":2}\n\n"), std::string::npos) << hello;
  EXPECT_EQ(hello.find("id: "), std::string::npos) << "no replay without after: " << hello;

  std::string late;
  EXPECT_EQ(Pull(*stream, &late), "<pending>");
  WriteSet w = Events({MakeEvent(3, 1)});
  proto::Trial trial;
  trial.id = 7;
  trial.sweep_id = 1;
  w.trials.push_back(trial);
  w.metrics.emplace_back(7, proto::MetricPoint{4, {{"loss", 0.5}}, 0});
  hub.Publish(w);
  EXPECT_NE(late.find("id: 3\nevent: event\ndata: {"), std::string::npos) << late;
  EXPECT_NE(late.find("event: report\ndata: {\"step\":4,\"sweep_id\":1,\"trial_id\":7,"
                      "\"values\":{\"loss\":0.5}}"),
            std::string::npos)
      << late;
  EXPECT_EQ(hub.streams(), 1u);
}

TEST_F(EventHubTest, ReconnectReplaysStoredEventsAfterTheClientsLastOfItsSweep) {
  ASSERT_TRUE(store_->Commit(Events({MakeEvent(1, 1), MakeEvent(2, 2), MakeEvent(3, 1),
                                     MakeEvent(4, 1)}))
                  .ok());
  EventHub hub(store_.get(), {});
  ASSERT_TRUE(hub.Start().ok());
  std::shared_ptr<BodySource> stream = hub.Subscribe(uint64_t{1}, 1);
  const std::string chunk = Pull(*stream);
  EXPECT_EQ(chunk.find("id: 1\n"), std::string::npos) << chunk;
  EXPECT_EQ(chunk.find("id: 2\n"), std::string::npos) << "sweep 2's event: " << chunk;
  const size_t three = chunk.find("id: 3\n"), four = chunk.find("id: 4\n");
  ASSERT_NE(three, std::string::npos) << chunk;
  ASSERT_NE(four, std::string::npos) << chunk;
  EXPECT_LT(chunk.find("event: hello"), three);
  EXPECT_LT(three, four);
  // Another sweep's live event does not reach it either.
  std::string late;
  EXPECT_EQ(Pull(*stream, &late), "<pending>");
  hub.Publish(Events({MakeEvent(5, 2)}));
  EXPECT_EQ(late, "");
  hub.Publish(Events({MakeEvent(6, 1)}));
  EXPECT_NE(late.find("id: 6\n"), std::string::npos) << late;
}

TEST_F(EventHubTest, TooLongAGapOrAFullQueueIsAReset) {
  ASSERT_TRUE(store_->Commit(Events({MakeEvent(1, 1), MakeEvent(2, 1), MakeEvent(3, 1)})).ok());
  EventHubOptions options;
  options.max_replay = 2;
  options.max_queued = 3;
  EventHub hub(store_.get(), options);
  ASSERT_TRUE(hub.Start().ok());
  std::shared_ptr<BodySource> gap = hub.Subscribe(uint64_t{0}, 0);
  std::string chunk = Pull(*gap);
  EXPECT_NE(chunk.find("event: reset\n"), std::string::npos) << chunk;
  EXPECT_EQ(chunk.find("id: "), std::string::npos) << chunk;

  std::shared_ptr<BodySource> slow = hub.Subscribe(std::nullopt, 0);
  for (uint64_t seq = 4; seq < 10; ++seq) hub.Publish(Events({MakeEvent(seq, 1)}));
  chunk = Pull(*slow);
  EXPECT_NE(chunk.find("event: reset\n"), std::string::npos) << chunk;
  EXPECT_EQ(chunk.find("id: 4\n"), std::string::npos) << "dropped before the reset: " << chunk;
  EXPECT_NE(chunk.find("id: 9\n"), std::string::npos) << chunk;
}

TEST_F(EventHubTest, ShutdownEndsWaitingAndLaterStreams) {
  EventHub hub(store_.get(), {});
  ASSERT_TRUE(hub.Start().ok());
  std::shared_ptr<BodySource> stream = hub.Subscribe(std::nullopt, 0);
  Pull(*stream);  // hello
  std::string late;
  EXPECT_EQ(Pull(*stream, &late), "<pending>");
  hub.Shutdown();
  EXPECT_EQ(late, "<end>");
  EXPECT_EQ(Pull(*hub.Subscribe(std::nullopt, 0)), "<end>");
}

TEST_F(EventHubTest, IdleStreamsGetKeepalives) {
  EventHubOptions options;
  options.keepalive = std::chrono::milliseconds(20);
  EventHub hub(store_.get(), options);
  ASSERT_TRUE(hub.Start().ok());
  std::shared_ptr<BodySource> stream = hub.Subscribe(std::nullopt, 0);
  Pull(*stream);
  std::promise<std::string> got;
  stream->Next([&got](StatusOr<std::optional<std::string>> chunk) { got.set_value(Text(chunk)); });
  EXPECT_EQ(got.get_future().get(), ": keepalive\n\n");
}

}  // namespace
}  // namespace hpsweep::coordinator
