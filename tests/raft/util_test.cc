// Tests of the describe functions (raft/util.h): their output is part of
// golden files, so it is pinned here.

#include "raft/util.h"

#include <gtest/gtest.h>

#include "proto/raftpb/codec.h"
#include "raft/config.h"

namespace raft {
namespace {

using raftpb::Entry;
using raftpb::Message;

TEST(UtilTest, DescribeEntry) {
  struct Case {
    Entry e;
    const char* want;
  };
  raftpb::ConfChangeV2 cc;
  cc.changes = {{raftpb::kConfChangeAddNode, 2},
                {raftpb::kConfChangeAddLearnerNode, 3},
                {raftpb::kConfChangeRemoveNode, 4},
                {raftpb::kConfChangeUpdateNode, 5}};
  const Case cases[] = {
      {Entry{1, 2, raftpb::kEntryNormal, "hello"}, "1/2 EntryNormal \"hello\""},
      {Entry{1, 3, raftpb::kEntryNormal, ""}, "1/3 EntryNormal \"\""},
      {Entry{1, 4, raftpb::kEntryNormal, std::string("a\"\\\n\x01", 5)},
       "1/4 EntryNormal \"a\\\"\\\\\\n\\x01\""},
      {Entry{2, 5, raftpb::kEntryConfChangeV2, raftpb::EncodeToString(cc)},
       "2/5 EntryConfChangeV2 v2 l3 r4 u5"},
      {Entry{2, 6, raftpb::kEntryConfChange,
             raftpb::EncodeToString(
                 raftpb::ConfChange{raftpb::kConfChangeRemoveNode, 7, "", 0})},
       "2/6 EntryConfChange r7"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DescribeEntry(c.e), c.want);
  }
  EntryFormatter upper = [](const raftpb::Payload& p) {
    std::string s = p.ToString();
    for (char& ch : s) ch = static_cast<char>(std::toupper(ch));
    return s;
  };
  EXPECT_EQ(DescribeEntry(Entry{1, 2, raftpb::kEntryNormal, "hi"}, upper),
            "1/2 EntryNormal HI");
}

TEST(UtilTest, DescribeMessage) {
  Message m;
  m.type = raftpb::kMsgApp;
  m.from = 1;
  m.to = 2;
  m.term = 3;
  m.log_term = 2;
  m.index = 10;
  m.commit = 9;
  EXPECT_EQ(DescribeMessage(m), "1->2 MsgApp Term:3 Log:2/10 Commit:9");
  m.entries.push_back(Entry{3, 11, raftpb::kEntryNormal, "a"});
  EXPECT_EQ(DescribeMessage(m),
            "1->2 MsgApp Term:3 Log:2/10 Commit:9 Entries:[3/11 EntryNormal "
            "\"a\"]");
  m.entries.push_back(Entry{3, 12, raftpb::kEntryNormal, "b"});
  EXPECT_EQ(DescribeMessage(m),
            "1->2 MsgApp Term:3 Log:2/10 Commit:9 Entries:[\n"
            "  3/11 EntryNormal \"a\"\n"
            "  3/12 EntryNormal \"b\"\n"
            "]");
  Message r;
  r.type = raftpb::kMsgAppResp;
  r.from = 2;
  r.to = 1;
  r.term = 3;
  r.index = 10;
  r.reject = true;
  r.reject_hint = 7;
  r.log_term = 1;
  EXPECT_EQ(DescribeMessage(r),
            "2->1 MsgAppResp Term:3 Log:1/10 Rejected (Hint: 7)");
  Message local;
  local.type = raftpb::kMsgStorageAppend;
  local.from = 1;
  local.to = kLocalAppendThread;
  local.vote = 1;
  local.responses.push_back(r);
  EXPECT_EQ(DescribeMessage(local),
            "1->AppendThread MsgStorageAppend Term:0 Log:0/0 Vote:1 "
            "Responses:[\n"
            "  2->1 MsgAppResp Term:3 Log:1/10 Rejected (Hint: 7)\n"
            "]");
  Message snap;
  snap.type = raftpb::kMsgSnap;
  snap.from = 1;
  snap.to = 3;
  snap.term = 2;
  snap.snapshot.emplace();
  snap.snapshot->metadata.index = 5;
  snap.snapshot->metadata.term = 2;
  snap.snapshot->metadata.conf_state.voters = {1, 2, 3};
  EXPECT_EQ(DescribeMessage(snap),
            "1->3 MsgSnap Term:2 Log:0/0\n"
            "  Snapshot: Index:5 Term:2 ConfState:Voters:[1 2 3] "
            "VotersOutgoing:[] Learners:[] LearnersNext:[] AutoLeave:false");
}

TEST(UtilTest, DescribeStates) {
  EXPECT_EQ(DescribeHardState({3, 0, 5}), "Term:3 Commit:5");
  EXPECT_EQ(DescribeHardState({3, 2, 5}), "Term:3 Vote:2 Commit:5");
  EXPECT_EQ(DescribeSoftState({2, StateType::kStateFollower}),
            "Lead:2 State:StateFollower");
  EXPECT_EQ(DescribeReady(Ready{}), "<empty Ready>");
  Ready rd;
  rd.read_states.push_back(ReadState{4, "ctx"});
  rd.must_sync = false;
  EXPECT_EQ(
      DescribeReady(rd),
      "Ready MustSync=false:\nReadStates [{Index:4 RequestCtx:\"ctx\"}]\n");
}

}  // namespace
}  // namespace raft
