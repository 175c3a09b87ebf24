#include "proto/json_reader.h"

#include "common/utf8.h"
#include "gtest/gtest.h"

namespace hpsweep::proto {
namespace {

Status ParseError(std::string_view text, const JsonTextOptions& options = {}) {
  return ParseJsonText(text, options).status();
}

TEST(ParseJsonTextTest, ParsesDocuments) {
  auto parsed = ParseJsonText(
      R"({"a": [1, -2, 3.5, "x", true, null, {"b": {}}], "c": 18446744073709551615})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["a"][3], "x");
  EXPECT_EQ((*parsed)["c"].get<uint64_t>(), 18446744073709551615u);
  EXPECT_EQ(ParseJsonText("7").value(), 7);
}

// A key twice in one object is refused, naming it: which value the client
// meant is not ours to guess. The same key in different objects is fine.
TEST(ParseJsonTextTest, DuplicateKeysAreRejectedNamingTheKey) {
  Status s = ParseError(R"({"parameters": {"lr": {"min": 0.1}, "lr": {"min": 0.2}}})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("duplicate key \"lr\""), std::string::npos) << s;
  EXPECT_EQ(s.field(), "/parameters/lr");
  EXPECT_EQ(ParseError(R"({"a":1,"a":1})").field(), "/a");
  EXPECT_TRUE(ParseJsonText(R"({"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]})").ok());
}

TEST(ParseJsonTextTest, MalformedJsonNamesWhere) {
  Status s = ParseError(R"({"a": {"b": [1, 2, }})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("malformed JSON"), std::string::npos) << s;
  EXPECT_EQ(s.field(), "/a/b/2");
  EXPECT_FALSE(ParseJsonText("").ok());
  EXPECT_FALSE(ParseJsonText("{} x").ok());
}

// Issue 11, case 2: numbers beyond a double are an error naming the field,
// never nlohmann's out_of_range exception.
TEST(ParseJsonTextTest, NumbersOutOfDoubleRangeAreRejected) {
  for (const char* number : {"1e400", "-1e400", "1e999", "123456789e999"}) {
    Status s = ParseError(std::string(R"({"client_id":"q","count":)") + number + "}");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << number;
    EXPECT_EQ(s.field(), "/count") << number;
    EXPECT_NE(s.message().find("out of range"), std::string::npos) << s;
  }
  Status nested = ParseError(R"({"values": {"loss": [0, 1e400]}})");
  EXPECT_EQ(nested.field(), "/values/loss/1");
  // Underflow is a finite zero; huge integers fall back to (finite) doubles.
  EXPECT_EQ(ParseJsonText("1e-400").value(), 0.0);
  EXPECT_TRUE(ParseJsonText("123456789012345678901234567890").ok());
}

// Issue 11, case 1: ill-formed UTF-8 in a body is an error whose message is
// itself valid UTF-8 (it is sent back as JSON).
TEST(ParseJsonTextTest, IllFormedUtf8IsRejectedWithAPrintableMessage) {
  for (std::string_view body :
       {"{\"name\": \"a\xFF\"}", "{\"na\xC0\xAFme\": 1}", "{\"name\": \"\xED\xA0\x80\"}",
        "{\"a\": 1, \xFF}", "\xFF", "{\"error\": \"\\udc00\"}"}) {
    Status s = ParseError(body);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << QuoteForMessage(body);
    EXPECT_TRUE(IsValidUtf8(s.message())) << QuoteForMessage(s.message());
    EXPECT_TRUE(IsValidUtf8(s.field()));
    EXPECT_FALSE(DumpJson(Json{{"message", s.message()}, {"field", s.field()}}).empty());
  }
  EXPECT_EQ(ParseError("{\"name\": \"a\xFF\"}").field(), "/name");
  EXPECT_TRUE(ParseJsonText("{\"name\": \"caf\xC3\xA9 \\u00e9 \\ud83d\\ude00\"}").ok());
}

// Issue 11, case 3: deep nesting is refused before it is built, without
// recursion, at any depth of input.
TEST(ParseJsonTextTest, NestingBeyondTheLimitIsRejected) {
  auto nest = [](int depth, const std::string& open, const std::string& close) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += open;
    s += "1";
    for (int i = 0; i < depth; ++i) s += close;
    return s;
  };
  EXPECT_TRUE(ParseJsonText(nest(kMaxJsonDepth, "[", "]")).ok());
  EXPECT_TRUE(ParseJsonText(nest(kMaxJsonDepth, "{\"a\":", "}")).ok());
  Status s = ParseError(nest(kMaxJsonDepth + 1, "[", "]"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("deeper than 64"), std::string::npos) << s;
  EXPECT_EQ(ParseError(nest(3, "{\"a\":", "}"), {2}).field(), "/a/a");
  // Far beyond any stack: 20,000 '[' and 10,000 '{"a":' (unterminated, too).
  EXPECT_FALSE(ParseJsonText(std::string(20000, '[')).ok());
  EXPECT_FALSE(ParseJsonText(nest(100000, "[", "]")).ok());
  EXPECT_FALSE(ParseJsonText(nest(10000, "{\"a\":", "}")).ok());
  std::string in_options = R"({"method_options": )" + nest(15000, "{\"k\":", "}") + "}";
  EXPECT_EQ(ParseError(in_options).code(), StatusCode::kInvalidArgument);
  // Documents the coordinator wrote may nest deeper.
  EXPECT_TRUE(ParseJsonText(nest(100, "[", "]"), {kMaxWrittenJsonDepth}).ok());
}

TEST(DumpJsonTest, NeverThrowsOnIllFormedStrings) {
  const std::string dumped = DumpJson(Json{{"path", std::string("/nosuch\xFF")}});
  EXPECT_TRUE(IsValidUtf8(dumped));
  EXPECT_NE(dumped.find("/nosuch"), std::string::npos);
}

TEST(DescribeJsonTest, CutsLongStringsOnACharacterBoundary) {
  std::string s(39, 'x');
  s += "\xE2\x82\xAC\xE2\x82\xAC";  // a 3-byte character straddles byte 40
  const std::string described = DescribeJson(Json(s));
  EXPECT_TRUE(IsValidUtf8(described));
  EXPECT_NE(described.find("..."), std::string::npos);
}

}  // namespace
}  // namespace hpsweep::proto
