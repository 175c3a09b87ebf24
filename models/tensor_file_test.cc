#include "models/tensor_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace hpsweep::models {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

void WriteText(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(TensorFileTest, ReadsNumpyWrittenFileAndMatchingCsv) {
  // Both written by models/examples/export_torchscript.py from one table.
  auto npy = ReadTable("models/testdata/regression.npy");
  auto csv = ReadTable("models/testdata/regression.csv");
  ASSERT_TRUE(npy.ok()) << npy.status();
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(npy->sizes(), (std::vector<int64_t>{256, 5}));
  EXPECT_EQ(npy->scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::allclose(*npy, *csv, 1e-4, 1e-5));
}

TEST(TensorFileTest, NpyRoundTripsEveryDtype) {
  for (auto type : {torch::kFloat, torch::kDouble, torch::kInt, torch::kLong}) {
    torch::Tensor t = (torch::arange(12) - 3).view({4, 3}).to(type);
    const std::string path = TempPath("t.npy");
    ASSERT_TRUE(WriteNpy(path, t).ok());
    auto back = ReadNpy(path);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(torch::equal(*back, t.to(torch::kFloat))) << type;
  }
  torch::Tensor column = torch::arange(5, torch::kFloat);
  ASSERT_TRUE(WriteNpy(TempPath("c.npy"), column).ok());
  auto back = ReadNpy(TempPath("c.npy"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sizes(), (std::vector<int64_t>{5, 1}));
}

TEST(TensorFileTest, CsvWithoutHeaderAndBlankLines) {
  WriteText(TempPath("a.csv"), "1,2,3\n\n4, 5 ,6\r\n");
  auto t = ReadCsv(TempPath("a.csv"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(torch::equal(*t, torch::tensor({1, 2, 3, 4, 5, 6}, torch::kFloat).view({2, 3})));
}

TEST(TensorFileTest, BadFilesAreInvalidArgument) {
  WriteText(TempPath("ragged.csv"), "a,b\n1,2\n3\n");
  WriteText(TempPath("word.csv"), "1,2\n3,x\n");
  WriteText(TempPath("bad.npy"), "not numpy");
  WriteText(TempPath("t.txt"), "1,2\n");
  struct Case {
    std::string path, message_part;
  };
  for (const Case& c :
       {Case{TempPath("ragged.csv"), "line 3: 1 fields, expected 2"},
        Case{TempPath("word.csv"), "line 2"}, Case{TempPath("bad.npy"), "not a .npy file"},
        Case{TempPath("t.txt"), "unknown format"}, Case{TempPath("missing.csv"), "cannot open"}}) {
    auto t = ReadTable(c.path);
    ASSERT_FALSE(t.ok()) << c.path;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(c.message_part), std::string::npos) << t.status().message();
  }
}

// A .npy header whose shape is not numbers is an error naming the file, not
// an exception (std::stoll threw std::invalid_argument here before).
TEST(TensorFileTest, ANpyShapeThatIsNotNumbersIsInvalidArgument) {
  for (const std::string shape : {"(x, 2)", "(3, 2y)", "(99999999999999999999, 1)", "(-1, 2)"}) {
    SCOPED_TRACE(shape);
    const std::string header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n";
    std::string bytes = "\x93NUMPY";
    bytes += '\x01';
    bytes += '\x00';
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8);
    bytes += header;
    const std::string path = TempPath("bad_shape.npy");
    std::ofstream(path, std::ios::binary) << bytes;
    auto t = ReadTable(path);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find("bad 'shape'"), std::string::npos) << t.status();
    EXPECT_NE(t.status().message().find(path), std::string::npos) << t.status();
  }
}

}  // namespace
}  // namespace hpsweep::models
