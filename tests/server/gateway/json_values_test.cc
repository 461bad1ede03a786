#include "server/gateway/json_values.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace server::gateway {
namespace {

TEST(JsonValueReaderTest, SplitsValues) {
  struct Case {
    const char* name;
    std::string text;
    std::vector<std::string> values;
    bool error_at_end;
  };
  const Case cases[] = {
      {"empty", "", {}, false},
      {"whitespace", " \r\n\t ", {}, false},
      {"one object", R"({"a":1})", {R"({"a":1})"}, false},
      {"two objects",
       R"( {"a":1}{"b":2} )",
       {R"({"a":1})", R"({"b":2})"},
       false},
      {"newline separated", "{}\n{}\n", {"{}", "{}"}, false},
      {"braces inside strings",
       R"({"a":"}{"} {"b":"\"}"})",
       {R"({"a":"}{"})", R"({"b":"\"}"})"},
       false},
      {"nested",
       R"({"a":[{"b":[1,2]}]} [1])",
       {R"({"a":[{"b":[1,2]}]})", "[1]"},
       false},
      {"literals", "5 true{}", {"5", "true", "{}"}, false},
      {"unclosed object", R"({"a":1} {"b")", {R"({"a":1})"}, true},
      {"unclosed string", R"("abc)", {}, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    JsonValueReader reader(c.text);
    std::vector<std::string> got;
    bool error = false;
    while (true) {
      auto next = reader.Next();
      if (!next.ok()) {
        error = true;
        EXPECT_EQ(next.status().message(), "unexpected EOF");
        break;
      }
      if (!next->has_value()) break;
      got.emplace_back(**next);
    }
    EXPECT_EQ(got, c.values);
    EXPECT_EQ(error, c.error_at_end);
  }
}

}  // namespace
}  // namespace server::gateway
