#include "teledx/core/utf8.hpp"

#include <catch2/catch.hpp>

using teledx::gb18030_to_utf8;
using teledx::is_utf8;

TEST_CASE("UTF-8 is recognised only in its well-formed shortest form", "[core]") {
  CHECK(is_utf8(""));
  CHECK(is_utf8("Lead II"));
  CHECK(is_utf8("\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E"));  // 王小明
  CHECK(is_utf8("\xF0\x9F\x92\x93"));                       // U+1F493
  CHECK_FALSE(is_utf8("\xC0\x80"));                         // overlong NUL
  CHECK_FALSE(is_utf8("\xE0\x80\xAF"));                     // overlong '/'
  CHECK_FALSE(is_utf8("\xED\xA0\x80"));                     // a UTF-16 surrogate
  CHECK_FALSE(is_utf8("\xF4\x90\x80\x80"));                 // beyond U+10FFFF
  CHECK_FALSE(is_utf8("\xE7\x8E"));                         // cut inside a character
  CHECK_FALSE(is_utf8("\xCD\xF5\xD0\xA1\xC3\xF7"));         // 王小明 in GB2312
}

TEST_CASE("GB2312 and GBK text decodes from GB18030 and undecodable bytes give nothing", "[core]") {
  CHECK(gb18030_to_utf8("\xCD\xF5\xD0\xA1\xC3\xF7") == std::string("\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E"));
  CHECK(gb18030_to_utf8("ECG \xB5\xBC\xC1\xAA") == std::string("ECG \xE5\xAF\xBC\xE8\x81\x94"));  // 导联
  CHECK(gb18030_to_utf8("abc") == std::string("abc"));
  CHECK_FALSE(gb18030_to_utf8("\xCD").has_value());      // a first byte without its second
  CHECK_FALSE(gb18030_to_utf8("\x80\x41").has_value());  // 0x80 starts no GB18030 character
}
