// The message_fuzzer seed corpus must hold real messages: every record of
// every file decodes with the raftpb codec (garbage comes from the fuzzer's
// mutations, not from the seeds).

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "proto/raftpb/codec.h"

namespace {

TEST(MessageCorpusTest, EveryRecordDecodes) {
  const std::filesystem::path dir =
      std::filesystem::path(CAIRN_SOURCE_DIR) / "fuzz/corpus/message_fuzzer";
  int files = 0, messages = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() == ".py") continue;
    ++files;
    std::ifstream in(e.path(), std::ios::binary);
    std::string b((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
    size_t pos = 0;
    while (pos + 2 <= b.size()) {
      const size_t len = static_cast<uint8_t>(b[pos]) |
                         static_cast<size_t>(static_cast<uint8_t>(b[pos + 1]))
                             << 8;
      pos += 2;
      if (len == 0) continue;  // A tick.
      ASSERT_LE(pos + len, b.size()) << e.path();
      base::Result<raftpb::Message> m =
          raftpb::DecodeMessage(std::string_view(b).substr(pos, len));
      EXPECT_TRUE(m.ok()) << e.path() << ": " << m.status();
      pos += len;
      ++messages;
    }
    EXPECT_EQ(pos, b.size()) << e.path();
  }
  EXPECT_GE(files, 5);
  EXPECT_GE(messages, 20);
}

}  // namespace
