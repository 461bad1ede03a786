#pragma once

// Small helpers shared by the raft unit tests.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "proto/raftpb/raftpb.h"

namespace raft::test {

// An entry with etcd's argument order (index first, as in
// pb.Entry{Index: i, Term: t}).
inline raftpb::Entry Ent(uint64_t index, uint64_t term, std::string data = "") {
  return raftpb::Entry{term, index, raftpb::kEntryNormal,
                       raftpb::Payload(data)};
}

// Entries from (index, term) pairs.
inline std::vector<raftpb::Entry> Ents(
    std::initializer_list<std::pair<uint64_t, uint64_t>> its) {
  std::vector<raftpb::Entry> v;
  for (auto [i, t] : its) v.push_back(Ent(i, t));
  return v;
}

// Consecutive entries from `first` with the given terms (etcd's
// index(i).terms(...)).
inline std::vector<raftpb::Entry> IndexTerms(
    uint64_t first, std::initializer_list<uint64_t> terms) {
  std::vector<raftpb::Entry> v;
  for (uint64_t t : terms) v.push_back(Ent(first++, t));
  return v;
}

inline uint64_t Size(const raftpb::Entry& e) { return raftpb::EntrySize(e); }

// A message with etcd's test shorthand pb.Message{From, To, Type, Term}.
inline raftpb::Message Msg(uint64_t from, uint64_t to, raftpb::MessageType type,
                           uint64_t term = 0) {
  raftpb::Message m;
  m.from = from;
  m.to = to;
  m.type = type;
  m.term = term;
  return m;
}

}  // namespace raft::test
