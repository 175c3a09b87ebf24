// RocksStore behaviour beyond the shared conformance suite: reopening, the
// directory lock, the schema version, undecodable records, and durability of
// acknowledged writes across SIGKILL of the writing process.
//
// Child processes are this binary re-executed with "--store-child MODE DIR
// FD" (fork + exec, so the child starts with no inherited RocksDB threads).
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rocksdb/db.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/store/rocks_store.h"
#include "coordinator/store/store.h"
#include "gtest/gtest.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {
namespace {

std::string NewTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/rocks_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char* dir = mkdtemp(buf.data());
  EXPECT_NE(dir, nullptr);
  return dir != nullptr ? std::string(dir) : tmpl;
}

proto::Trial MakeTrial(uint64_t sweep_id, uint64_t id) {
  proto::Trial t;
  t.id = id;
  t.sweep_id = sweep_id;
  t.number = id;
  t.params = {{"lr", 0.001 * static_cast<double>(id)}};
  t.state = proto::TrialState::kRunning;
  return t;
}

proto::Event MakeEvent(uint64_t seq) {
  proto::Event e;
  e.seq = seq;
  e.type = "trial_reported";
  e.trial_id = seq;
  return e;
}

WriteSet NumberedWrite(uint64_t i) {
  WriteSet w;
  w.trials.push_back(MakeTrial(1, i));
  proto::MetricPoint p;
  p.step = static_cast<int64_t>(i);
  p.values = {{"loss", 1.0 / static_cast<double>(i)}};
  w.metrics.push_back({1, p});
  w.events.push_back(MakeEvent(i));
  w.meta.push_back({"last", std::to_string(i)});
  return w;
}

std::unique_ptr<Store> MustOpen(const std::string& dir, RocksStoreOptions options = {}) {
  auto store = OpenRocksStore(dir, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

std::string ReadAll(CheckpointReader* reader) {
  std::string all, chunk;
  while (true) {
    auto more = reader->Next(&chunk);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) return all;
    all += chunk;
  }
}

// --- child processes --------------------------------------------------------

bool WriteLine(int fd, const std::string& line) {
  std::string text = line + "\n";
  return write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// "hold": opens the store, says "ready", and keeps it open until its stdin
// closes. "commit": leaves an unfinished multi-chunk checkpoint, finishes
// one, then commits NumberedWrite(1, 2, ...) forever, writing each number to
// FD only after Commit returned OK (the acknowledgement).
int RunChild(const std::string& mode, const std::string& dir, int fd) {
  RocksStoreOptions options;
  options.checkpoint_chunk_bytes = 1024;
  options.min_blob_size = 512;
  auto store = OpenRocksStore(dir, options);
  if (!store.ok()) {
    WriteLine(fd, "error " + store.status().ToString());
    return 1;
  }
  if (mode == "hold") {
    WriteLine(fd, "ready");
    char c;
    while (read(STDIN_FILENO, &c, 1) > 0) {
    }
    return 0;
  }
  auto unfinished = (*store)->BeginCheckpoint(999, 1);
  if (!unfinished.ok() || !(*unfinished)->Append(std::string(10 * 1024, 'u')).ok()) return 2;
  auto finished = (*store)->BeginCheckpoint(998, 1);
  if (!finished.ok() || !(*finished)->Append(std::string(3000, 'f')).ok() ||
      !(*finished)->Finish().ok()) {
    return 3;
  }
  WriteLine(fd, "checkpoint");
  for (uint64_t i = 1;; ++i) {
    Status s = (*store)->Commit(NumberedWrite(i));
    if (!s.ok()) {
      WriteLine(fd, "error " + s.ToString());
      return 4;
    }
    if (!WriteLine(fd, std::to_string(i))) return 5;
  }
}

// A child process with a pipe from its FD to us and one from us to its stdin.
class Child {
 public:
  Child(const std::string& mode, const std::string& dir) {
    int out[2], in[2];
    if (pipe(out) != 0 || pipe(in) != 0) {
      ADD_FAILURE() << "pipe: " << strerror(errno);
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], STDIN_FILENO);
      close(in[1]);
      close(out[0]);
      std::string fd = std::to_string(out[1]);
      execl("/proc/self/exe", "rocks_store_test", "--store-child", mode.c_str(), dir.c_str(), fd.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    close(in[0]);
    from_child_ = fdopen(out[0], "r");
    to_child_ = in[1];
  }

  ~Child() {
    if (to_child_ >= 0) close(to_child_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (from_child_ != nullptr) fclose(from_child_);
  }

  // The next line the child wrote; empty at EOF.
  std::string ReadLine() {
    char buf[512];
    if (from_child_ == nullptr || fgets(buf, sizeof(buf), from_child_) == nullptr) return "";
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }

  void Kill() {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    pid_ = -1;
  }

  // Closes its stdin and waits for it to exit.
  void Release() {
    close(to_child_);
    to_child_ = -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* from_child_ = nullptr;
  int to_child_ = -1;
};

// --- tests ------------------------------------------------------------------

TEST(RocksStoreTest, ReopenFindsEverything) {
  const std::string dir = NewTempDir();
  RocksStoreOptions options;
  options.checkpoint_chunk_bytes = 100;
  options.min_blob_size = 50;
  {
    auto store = MustOpen(dir, options);
    ASSERT_NE(store, nullptr);
    for (uint64_t i = 1; i <= 20; ++i) ASSERT_TRUE(store->Commit(NumberedWrite(i)).ok());
    auto writer = store->BeginCheckpoint(1, 7);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(std::string(1050, 'c')).ok());
    ASSERT_TRUE((*writer)->Finish().ok());
    auto unfinished = store->BeginCheckpoint(1, 8);
    ASSERT_TRUE(unfinished.ok());
    ASSERT_TRUE((*unfinished)->Append(std::string(500, 'u')).ok());
    store.reset();
    // The unfinished writer still holds the database; once it goes, the
    // directory is free again.
    unfinished->reset();
  }
  auto store = MustOpen(dir, options);
  ASSERT_NE(store, nullptr);
  auto trials = store->LoadTrials(1, 0, 0);
  ASSERT_TRUE(trials.ok()) << trials.status();
  EXPECT_EQ(trials->size(), 20u);
  EXPECT_EQ(store->ReadMetrics(1, 0, 0)->size(), 20u);
  EXPECT_EQ(store->ReadEvents(0, 0)->size(), 20u);
  EXPECT_EQ(*store->GetMeta("last"), std::optional<std::string>("20"));
  EXPECT_EQ(*store->GetMeta("schema_version"), std::optional<std::string>(std::string(kSchemaVersion)));
  auto reader = store->OpenCheckpoint(1, -1);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->info().step, 7);
  EXPECT_EQ(ReadAll(reader->get()), std::string(1050, 'c'));
  EXPECT_EQ(store->ListCheckpoints(1)->size(), 1u);

  // Checkpoints written after a reopen do not collide with earlier ones.
  auto writer = store->BeginCheckpoint(1, 7);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("replaced").ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  reader = store->OpenCheckpoint(1, 7);
  EXPECT_EQ(ReadAll(reader->get()), "replaced");
}

TEST(RocksStoreTest, SecondOpenInProcessIsLocked) {
  const std::string dir = NewTempDir();
  auto first = MustOpen(dir);
  ASSERT_NE(first, nullptr);
  auto second = OpenRocksStore(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kAborted);
  EXPECT_NE(second.status().message().find("data directory " + dir + " is locked by another coordinator"),
            std::string::npos)
      << second.status();
}

TEST(RocksStoreTest, OpenWhileAnotherProcessHoldsItIsLocked) {
  const std::string dir = NewTempDir();
  Child child("hold", dir);
  ASSERT_EQ(child.ReadLine(), "ready");
  auto second = OpenRocksStore(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kAborted);
  EXPECT_NE(second.status().message().find("data directory " + dir + " is locked by another coordinator"),
            std::string::npos)
      << second.status();
  child.Release();
  EXPECT_NE(MustOpen(dir), nullptr);  // free once the holder is gone
}

// Opens the raw database with every column family it has.
void WithRawDb(const std::string& dir,
               const std::function<void(rocksdb::DB*, std::vector<rocksdb::ColumnFamilyHandle*>&,
                                        const std::vector<std::string>&)>& body) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  // The checkpoints family has blob files; reading it needs the same setting.
  for (auto& d : descriptors) {
    if (d.name == "checkpoints") d.options.enable_blob_files = true;
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, descriptors, &handles, &raw);
  ASSERT_TRUE(s.ok()) << s.ToString();
  body(raw, handles, names);
  for (auto* h : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
  delete raw;
}

rocksdb::ColumnFamilyHandle* Family(std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                                    const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return handles[i];
  }
  ADD_FAILURE() << "no column family " << name;
  return nullptr;
}

TEST(RocksStoreTest, SchemaVersionMismatchIsFailedPrecondition) {
  const std::string dir = NewTempDir();
  MustOpen(dir).reset();
  WithRawDb(dir, [](rocksdb::DB* db, auto& handles, const auto& names) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db->Put(sync, Family(handles, names, "meta"), "schema_version", "999").ok());
  });
  auto store = OpenRocksStore(dir);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version \"999\""), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find(dir), std::string::npos) << store.status();
}

TEST(RocksStoreTest, UndecodableRecordIsDataLossNamingTheKey) {
  const std::string dir = NewTempDir();
  {
    auto store = MustOpen(dir);
    ASSERT_TRUE(store->Commit(NumberedWrite(1)).ok());
  }
  WithRawDb(dir, [](rocksdb::DB* db, auto& handles, const auto& names) {
    std::string key(16, '\0');
    key[7] = 1;   // sweep 1
    key[15] = 2;  // trial 2
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), Family(handles, names, "trials"), key, "{not json").ok());
  });
  auto store = MustOpen(dir);
  auto trials = store->LoadTrials(1, 0, 0);
  ASSERT_FALSE(trials.ok());
  EXPECT_EQ(trials.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(trials.status().message().find("trials key 0x00000000000000010000000000000002"),
            std::string::npos)
      << trials.status();
  // Records before the bad one are still readable page by page.
  EXPECT_EQ(store->LoadTrials(1, 0, 1)->size(), 1u);
  // Asked to, the scan reports the record with the ids of its key and goes on.
  std::vector<UndecodableRecord> bad;
  auto tolerant = store->LoadTrials(1, 0, 0, &bad);
  ASSERT_TRUE(tolerant.ok()) << tolerant.status();
  EXPECT_EQ(tolerant->size(), 1u);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(bad[0].sweep_id, 1u);
  EXPECT_EQ(bad[0].trial_id, 2u);
}

TEST(RocksStoreTest, InvalidOptions) {
  RocksStoreOptions options;
  options.checkpoint_chunk_bytes = 0;
  EXPECT_EQ(OpenRocksStore(NewTempDir(), options).status().code(), StatusCode::kInvalidArgument);
}

TEST(RocksStoreTest, EveryAcknowledgedWriteSurvivesSigkill) {
  const std::string dir = NewTempDir();
  uint64_t acknowledged = 0;
  {
    Child child("commit", dir);
    ASSERT_EQ(child.ReadLine(), "checkpoint");
    // Let it get well into its commit loop, then kill it mid-stream.
    while (acknowledged < 300) {
      std::string line = child.ReadLine();
      ASSERT_FALSE(line.empty() || line.rfind("error", 0) == 0) << line;
      acknowledged = std::stoull(line);
    }
    child.Kill();
    // Acknowledgements written before the kill are still in the pipe.
    for (std::string line = child.ReadLine(); !line.empty(); line = child.ReadLine()) {
      acknowledged = std::stoull(line);
    }
  }

  RocksStoreOptions options;
  options.checkpoint_chunk_bytes = 1024;
  options.min_blob_size = 512;
  auto store = MustOpen(dir, options);
  ASSERT_NE(store, nullptr);
  auto trials = store->LoadTrials(1, 0, 0);
  ASSERT_TRUE(trials.ok()) << trials.status();
  // Every acknowledged commit is whole; at most the one in flight also landed.
  ASSERT_GE(trials->size(), acknowledged);
  ASSERT_LE(trials->size(), acknowledged + 1);
  const uint64_t landed = trials->size();
  for (uint64_t i = 0; i < landed; ++i) EXPECT_EQ((*trials)[i].id, i + 1);
  EXPECT_EQ(store->ReadMetrics(1, 0, 0)->size(), landed);
  EXPECT_EQ(store->ReadEvents(0, 0)->size(), landed);
  EXPECT_EQ(*store->GetMeta("last"), std::optional<std::string>(std::to_string(landed)));

  auto finished = store->OpenCheckpoint(998, -1);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(ReadAll(finished->get()), std::string(3000, 'f'));
  EXPECT_EQ(store->OpenCheckpoint(999, -1).status().code(), StatusCode::kNotFound);
  finished->reset();  // readers keep the database open too
  store.reset();

  // The killed writer's chunks were removed at open, not just hidden.
  WithRawDb(dir, [](rocksdb::DB* db, auto& handles, const auto& names) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), Family(handles, names, "checkpoints")));
    int chunks_of_998 = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string key = it->key().ToString();
      EXPECT_NE(key[0], 'p') << "pending marker left behind";
      if (key[0] == 'c') {
        EXPECT_EQ(static_cast<unsigned char>(key[8]), 998 & 0xff) << "orphaned chunk left behind";
        ++chunks_of_998;
      }
    }
    EXPECT_EQ(chunks_of_998, 3);
  });
}

}  // namespace
}  // namespace hpsweep::coordinator

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--store-child") {
    return hpsweep::coordinator::RunChild(argv[2], argv[3], std::atoi(argv[4]));
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
