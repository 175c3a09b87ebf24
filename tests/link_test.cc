// Links LibTorch, RocksDB, Boost.Beast, nlohmann/json and Open MPI into one
// binary and exercises each, so that a broken BUILD overlay in third_party/
// fails CI here rather than deep inside a component.
#include <mpi.h>
#include <stdlib.h>
#include <torch/torch.h>

#include <boost/beast/http.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace hpsweep {
namespace {

TEST(LinkTest, LibTorchComputesAndDifferentiates) {
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({64, 32});
  torch::Tensor b = torch::randn({32, 16}, torch::requires_grad());
  torch::Tensor loss = torch::matmul(a, b).pow(2).sum();
  loss.backward();
  ASSERT_TRUE(b.grad().defined());
  // d/db sum((ab)^2) = 2 a^T (a b)
  torch::Tensor expected = 2 * torch::matmul(a.t(), torch::matmul(a, b.detach()));
  EXPECT_TRUE(torch::allclose(b.grad(), expected, 1e-4, 1e-4));
}

TEST(LinkTest, RocksDbWritesAndReadsBack) {
  char tmpl[] = "/tmp/hpsweep_link_test_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db->Put(sync, "trial/1", "completed").ok());
  std::string value;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "trial/1", &value).ok());
  EXPECT_EQ(value, "completed");
  db.reset();
  std::filesystem::remove_all(dir);
}

TEST(LinkTest, BeastParsesAnHttpRequestWithJsonBody) {
  const std::string wire =
      "POST /api/v1/sweeps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 17\r\n\r\n{\"name\": \"demo\"}\n";
  boost::beast::http::request_parser<boost::beast::http::string_body> parser;
  parser.eager(true);  // Parse the body in the same call as the header.
  boost::beast::error_code ec;
  const size_t used = parser.put(boost::asio::buffer(wire), ec);
  EXPECT_EQ(used, wire.size());
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parser.is_done());
  const auto& req = parser.get();
  EXPECT_EQ(req.method(), boost::beast::http::verb::post);
  EXPECT_EQ(req.target(), "/api/v1/sweeps");
  EXPECT_EQ(nlohmann::json::parse(req.body()).at("name"), "demo");
}

TEST(LinkTest, MpiInitialisesAsASingleton) {
  int provided = 0;
  ASSERT_EQ(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided), MPI_SUCCESS);
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(size, 1);
  int in = 21, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(out, 21);
  MPI_Finalize();
}

}  // namespace
}  // namespace hpsweep
