#include "common/utf8.h"

#include "gtest/gtest.h"

namespace hpsweep {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  for (std::string_view s : {"", "abc", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                             "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_TRUE(IsValidUtf8(s)) << QuoteForMessage(s);
  }
}

TEST(Utf8Test, RejectsIllFormedText) {
  for (std::string_view s : {"\xFF", "\x80", "a\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
                             "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xE2\x82", "\xC3\x28"}) {
    EXPECT_FALSE(IsValidUtf8(s)) << QuoteForMessage(s);
  }
}

TEST(Utf8Test, TruncateNeverSplitsACharacter) {
  const std::string euros = "\xE2\x82\xAC\xE2\x82\xAC";  // two 3-byte characters
  EXPECT_EQ(TruncateUtf8(euros, 6), euros);
  EXPECT_EQ(TruncateUtf8(euros, 5), "\xE2\x82\xAC");
  EXPECT_EQ(TruncateUtf8(euros, 4), "\xE2\x82\xAC");
  EXPECT_EQ(TruncateUtf8(euros, 3), "\xE2\x82\xAC");
  EXPECT_EQ(TruncateUtf8(euros, 2), "");
  EXPECT_EQ(TruncateUtf8("abc", 2), "ab");
  for (size_t n = 0; n <= euros.size(); ++n) EXPECT_TRUE(IsValidUtf8(TruncateUtf8(euros, n)));
}

TEST(Utf8Test, QuoteEscapesIllFormedBytesAndControls) {
  EXPECT_EQ(QuoteForMessage("a\xFF"
                            "b\n"),
            "a\\xFFb\\x0A");
  EXPECT_EQ(QuoteForMessage("caf\xC3\xA9"), "caf\xC3\xA9");
  const std::string quoted = QuoteForMessage(std::string(500, 'x'), 10);
  EXPECT_EQ(quoted, std::string(10, 'x') + "...");
  EXPECT_TRUE(IsValidUtf8(QuoteForMessage("\xF0\x9F\x98\x80\xF0\x9F", 4)));
  // C1 controls (U+009B is a one-character CSI on some terminals).
  EXPECT_EQ(QuoteForMessage("a\xC2\x9B"
                            "31m"),
            "a\\u009B31m");
  EXPECT_EQ(QuoteForMessage("\xC2\xA0"), "\xC2\xA0");  // U+00A0 is printable
}

TEST(Utf8Test, ControlCharactersAreFoundInC0DelAndC1) {
  EXPECT_FALSE(HasControlCharacter("lr_max caf\xC3\xA9 \xE2\x82\xAC \xC2\xA0"));
  EXPECT_FALSE(HasControlCharacter(""));
  for (const char* bad :
       {"a\x1B[31m", "tab\there", "new\nline", "del\x7F", "csi\xC2\x9B", "\xC2\x80"}) {
    EXPECT_TRUE(HasControlCharacter(bad)) << QuoteForMessage(bad);
  }
  EXPECT_TRUE(HasControlCharacter(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace hpsweep
