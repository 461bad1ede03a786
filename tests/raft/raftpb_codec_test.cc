// Checks the hand-written raftpb codec against protoc's code generated from
// proto/raftpb/raft.proto: same bytes out, same values in, and clean errors
// on bad input. Randomized cases print their seed; replay with
// CAIRN_SEED=<seed>.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

#include "proto/raftpb/codec.h"
#include "proto/raftpb/raftpb.h"
#include "raft.pb.h"

namespace {

namespace ref = cairn::raftpb;
using raftpb::Entry;
using raftpb::Message;

uint64_t Seed() {
  const char* s = std::getenv("CAIRN_SEED");
  uint64_t seed =
      s != nullptr ? std::strtoull(s, nullptr, 10) : std::random_device{}();
  std::printf("raftpb_codec_test seed: %llu (replay with CAIRN_SEED)\n",
              static_cast<unsigned long long>(seed));
  return seed;
}

raftpb::Snapshot SampleSnapshot() {
  raftpb::Snapshot s;
  s.data = raftpb::Payload("snapshot-bytes");
  s.metadata.index = 300;
  s.metadata.term = 7;
  s.metadata.conf_state.voters = {1, 2, 3};
  s.metadata.conf_state.learners = {4};
  s.metadata.conf_state.voters_outgoing = {1, 2, 5};
  s.metadata.conf_state.learners_next = {5};
  s.metadata.conf_state.auto_leave = true;
  return s;
}

Message SampleMessage() {
  Message m;
  m.type = raftpb::kMsgApp;
  m.to = 2;
  m.from = 1;
  m.term = 5;
  m.log_term = 4;
  m.index = 100;
  m.entries.push_back(Entry{5, 101, raftpb::kEntryNormal, "hello"});
  m.entries.push_back(Entry{5, 102, raftpb::kEntryConfChangeV2, ""});
  m.entries.push_back(Entry{1ULL << 40, ~0ULL, raftpb::kEntryConfChange, "x"});
  m.commit = 99;
  m.vote = 3;
  m.snapshot = SampleSnapshot();
  m.reject = true;
  m.reject_hint = 77;
  m.context = raftpb::Payload(std::string("ctx\0\xff", 5));
  Message r;
  r.type = raftpb::kMsgAppResp;
  r.to = 1;
  r.from = 2;
  r.index = 102;
  m.responses.push_back(r);
  return m;
}

void ToRef(const raftpb::ConfState& cs, ref::ConfState* out) {
  for (uint64_t v : cs.voters) out->add_voters(v);
  for (uint64_t v : cs.learners) out->add_learners(v);
  for (uint64_t v : cs.voters_outgoing) out->add_voters_outgoing(v);
  for (uint64_t v : cs.learners_next) out->add_learners_next(v);
  out->set_auto_leave(cs.auto_leave);
}

void ToRef(const raftpb::Snapshot& s, ref::Snapshot* out) {
  out->set_data(s.data.ToString());
  ref::SnapshotMetadata* md = out->mutable_metadata();
  ToRef(s.metadata.conf_state, md->mutable_conf_state());
  md->set_index(s.metadata.index);
  md->set_term(s.metadata.term);
}

void ToRef(const Entry& e, ref::Entry* out) {
  out->set_type(static_cast<ref::EntryType>(e.type));
  out->set_term(e.term);
  out->set_index(e.index);
  out->set_data(e.data.ToString());
}

void ToRef(const Message& m, ref::Message* out) {
  out->set_type(static_cast<ref::MessageType>(m.type));
  out->set_to(m.to);
  out->set_from(m.from);
  out->set_term(m.term);
  out->set_logterm(m.log_term);
  out->set_index(m.index);
  for (const Entry& e : m.entries) ToRef(e, out->add_entries());
  out->set_commit(m.commit);
  if (m.snapshot) ToRef(*m.snapshot, out->mutable_snapshot());
  out->set_reject(m.reject);
  out->set_rejecthint(m.reject_hint);
  out->set_context(m.context.ToString());
  out->set_vote(m.vote);
  for (const Message& r : m.responses) ToRef(r, out->add_responses());
}

std::string RefBytes(const Message& m) {
  ref::Message pm;
  ToRef(m, &pm);
  std::string s;
  EXPECT_TRUE(pm.SerializeToString(&s));
  return s;
}

TEST(RaftpbCodecTest, MessageBytesMatchProtoc) {
  Message m = SampleMessage();
  std::string ours = raftpb::EncodeToString(m);
  EXPECT_EQ(ours, RefBytes(m));
  EXPECT_EQ(ours.size(), raftpb::EncodedSize(m));
  // protoc parses ours back to the same message.
  ref::Message parsed;
  ASSERT_TRUE(parsed.ParseFromString(ours));
  EXPECT_EQ(parsed.SerializeAsString(), ours);
  EXPECT_EQ(parsed.entries_size(), 3);
  EXPECT_EQ(parsed.snapshot().metadata().conf_state().learners_next(0), 5u);
}

TEST(RaftpbCodecTest, DecodesProtocBytes) {
  Message m = SampleMessage();
  base::Result<Message> got = raftpb::DecodeMessage(RefBytes(m));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, m);
}

TEST(RaftpbCodecTest, EmptyMessageIsEmptyBytes) {
  EXPECT_EQ(raftpb::EncodeToString(Message{}), "");
  base::Result<Message> got = raftpb::DecodeMessage("");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Message{});
}

TEST(RaftpbCodecTest, OtherTypesMatchProtoc) {
  raftpb::HardState hs{5, 2, 1ULL << 50};
  ref::HardState rhs;
  rhs.set_term(5);
  rhs.set_vote(2);
  rhs.set_commit(1ULL << 50);
  EXPECT_EQ(raftpb::EncodeToString(hs), rhs.SerializeAsString());
  EXPECT_EQ(*raftpb::DecodeHardState(rhs.SerializeAsString()), hs);
  EXPECT_EQ(raftpb::EncodedSize(hs), rhs.ByteSizeLong());

  raftpb::Snapshot snap = SampleSnapshot();
  ref::Snapshot rs;
  ToRef(snap, &rs);
  EXPECT_EQ(raftpb::EncodeToString(snap), rs.SerializeAsString());
  EXPECT_EQ(*raftpb::DecodeSnapshot(rs.SerializeAsString()), snap);

  raftpb::ConfChange cc{raftpb::kConfChangeAddLearnerNode, 9, "c", 42};
  ref::ConfChange rcc;
  rcc.set_id(42);
  rcc.set_type(ref::ConfChangeAddLearnerNode);
  rcc.set_node_id(9);
  rcc.set_context("c");
  EXPECT_EQ(raftpb::EncodeToString(cc), rcc.SerializeAsString());
  EXPECT_EQ(*raftpb::DecodeConfChange(rcc.SerializeAsString()), cc);

  raftpb::ConfChangeV2 cc2;
  cc2.transition = raftpb::kConfChangeTransitionJointExplicit;
  cc2.changes = {{raftpb::kConfChangeAddNode, 4},
                 {raftpb::kConfChangeRemoveNode, 2}};
  cc2.context = "ctx";
  ref::ConfChangeV2 rcc2;
  rcc2.set_transition(ref::ConfChangeTransitionJointExplicit);
  auto* c1 = rcc2.add_changes();
  c1->set_type(ref::ConfChangeAddNode);
  c1->set_node_id(4);
  auto* c2 = rcc2.add_changes();
  c2->set_type(ref::ConfChangeRemoveNode);
  c2->set_node_id(2);
  rcc2.set_context("ctx");
  EXPECT_EQ(raftpb::EncodeToString(cc2), rcc2.SerializeAsString());
  EXPECT_EQ(*raftpb::DecodeConfChangeV2(rcc2.SerializeAsString()), cc2);
}

TEST(RaftpbCodecTest, EntrySizeIsEncodedSize) {
  std::mt19937_64 rng(Seed());
  for (int i = 0; i < 200; ++i) {
    Entry e;
    e.term = rng() >> (rng() % 64);
    e.index = rng() >> (rng() % 64);
    e.type = static_cast<raftpb::EntryType>(rng() % 3);
    e.data = raftpb::Payload(std::string(rng() % 300, 'a'));
    std::string enc = raftpb::EncodeToString(e);
    ASSERT_EQ(enc.size(), raftpb::EntrySize(e));
    ref::Entry re;
    ToRef(e, &re);
    ASSERT_EQ(enc, re.SerializeAsString());
    ASSERT_EQ(*raftpb::DecodeEntry(enc), e);
  }
}

TEST(RaftpbCodecTest, RandomMessagesRoundTripThroughProtoc) {
  std::mt19937_64 rng(Seed());
  for (int i = 0; i < 200; ++i) {
    Message m;
    m.type = static_cast<raftpb::MessageType>(rng() % raftpb::kNumMessageTypes);
    m.to = rng() % 5;
    m.from = rng() % 5;
    m.term = rng() % 3 == 0 ? 0 : rng();
    m.index = rng() >> (rng() % 64);
    m.commit = rng() % 1000;
    m.reject = rng() % 2 == 0;
    for (uint64_t k = rng() % 4; k > 0; --k) {
      m.entries.push_back(Entry{rng() % 10, rng() % 1000,
                                static_cast<raftpb::EntryType>(rng() % 3),
                                std::string(rng() % 20, 'z')});
    }
    if (rng() % 4 == 0) m.snapshot = SampleSnapshot();
    std::string enc = raftpb::EncodeToString(m);
    ASSERT_EQ(enc, RefBytes(m)) << "case " << i;
    base::Result<Message> got = raftpb::DecodeMessage(enc);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(*got, m) << "case " << i;
  }
}

TEST(RaftpbCodecTest, AcceptsUnpackedRepeatedAndSkipsUnknownFields) {
  // voters 1 and 2 unpacked (field 1, varint), an unknown varint field 9,
  // an unknown fixed64 field 10 and an unknown bytes field 11.
  std::string b = std::string("\x08\x01\x08\x02\x48\x05", 6) +
                  std::string("\x51", 1) + std::string(8, '\0') +
                  std::string("\x5a\x02hi", 4);
  base::Result<raftpb::ConfState> cs = raftpb::DecodeConfState(b);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->voters, (std::vector<uint64_t>{1, 2}));
}

TEST(RaftpbCodecTest, RejectsBadInput) {
  struct Case {
    const char* name;
    std::string bytes;
  };
  const Case cases[] = {
      {"key without value", std::string("\x08", 1)},
      {"truncated varint", std::string("\x10\x80", 2)},
      {"overlong varint",
       std::string("\x10") + std::string(10, '\xff') + "\x01"},
      {"length past end", std::string("\x3a\x05\x10", 3)},
      {"huge length", std::string("\x62\xff\xff\xff\xff\x0f", 6)},
      {"field number 0", std::string("\x00\x01", 2)},
      {"group wire type", std::string("\x0b", 1)},
      {"wrong wire type for to", std::string("\x12\x00", 2)},
      {"enum out of range", std::string("\x08\x63", 2)},
      {"negative enum",
       std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11)},
      {"bad nested entry", std::string("\x3a\x02\x08\x07", 4)},
      {"bad nested snapshot", std::string("\x4a\x01\x12", 3)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    base::Result<Message> got = raftpb::DecodeMessage(c.bytes);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), base::StatusCode::kDataLoss);
    EXPECT_NE(got.status().message().find("raftpb: cannot decode"),
              std::string::npos);
  }
}

TEST(RaftpbCodecTest, RejectsDeepNesting) {
  Message m;
  for (int i = 0; i < raftpb::kMaxDecodeDepth + 2; ++i) {
    Message outer;
    outer.type = raftpb::kMsgStorageAppend;
    outer.responses.push_back(std::move(m));
    m = std::move(outer);
  }
  base::Result<Message> got = raftpb::DecodeMessage(raftpb::EncodeToString(m));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("nested too deeply"),
            std::string::npos);
}

TEST(RaftpbCodecTest, TruncationsAndGarbageNeverCrash) {
  std::string full = raftpb::EncodeToString(SampleMessage());
  int errors = 0;
  for (size_t n = 0; n < full.size(); ++n) {
    if (!raftpb::DecodeMessage(full.substr(0, n)).ok()) ++errors;
  }
  // Most cuts land inside a field.
  EXPECT_GT(errors, static_cast<int>(full.size() / 2));
  std::mt19937_64 rng(Seed());
  for (int i = 0; i < 2000; ++i) {
    std::string b = full;
    for (int k = 0; k < 3; ++k) b[rng() % b.size()] = static_cast<char>(rng());
    (void)raftpb::DecodeMessage(b);
    std::string g(rng() % 64, '\0');
    for (char& c : g) c = static_cast<char>(rng());
    (void)raftpb::DecodeMessage(g);
  }
}

TEST(PayloadTest, CopiesShareOneBuffer) {
  raftpb::Payload p("some bytes");
  EXPECT_EQ(p.use_count(), 1u);
  {
    raftpb::Payload q = p;
    Entry e{1, 1, raftpb::kEntryNormal, q};
    EXPECT_EQ(p.use_count(), 3u);
    EXPECT_EQ(e.data.data(), p.data());
  }
  EXPECT_EQ(p.use_count(), 1u);
  raftpb::Payload moved = std::move(p);
  EXPECT_EQ(moved.use_count(), 1u);
  EXPECT_EQ(moved, "some bytes");
  raftpb::Payload empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.use_count(), 0u);
  EXPECT_EQ(raftpb::Payload(""), empty);
}

}  // namespace
