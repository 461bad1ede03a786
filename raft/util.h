#pragma once

// Human-readable, deterministic descriptions of raft values (etcd's
// DescribeMessage / DescribeEntry), used in log lines, datadriven golden
// files and simulator traces.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "proto/raftpb/raftpb.h"
#include "raft/ready.h"

namespace raft {

// Formats entry data; the default prints it quoted ("\"data\"").
using EntryFormatter = std::function<std::string(const raftpb::Payload&)>;

// "1/5 EntryNormal \"data\"" (term/index type data).
std::string DescribeEntry(const raftpb::Entry& e,
                          const EntryFormatter& f = nullptr);
// Entries one per line ("1/5 EntryNormal ...\n").
std::string DescribeEntries(const std::vector<raftpb::Entry>& ents,
                            const EntryFormatter& f = nullptr);
// "1->2 MsgApp Term:1 Log:1/5 Commit:4 Entries:[1/6 EntryNormal \"x\"]"
std::string DescribeMessage(const raftpb::Message& m,
                            const EntryFormatter& f = nullptr);
// "Term:1 Vote:2 Commit:3"
std::string DescribeHardState(const raftpb::HardState& hs);
// "Lead:1 State:StateLeader"
std::string DescribeSoftState(const SoftState& ss);
// "Voters:[1 2 3] VotersOutgoing:[] Learners:[] LearnersNext:[]
// AutoLeave:false"
std::string DescribeConfState(const raftpb::ConfState& cs);
// "Index:5 Term:2 ConfState:..."
std::string DescribeSnapshot(const raftpb::Snapshot& s);
// "v1 l2 r3 u4": add voter 1, add learner 2, remove 3, update 4 (etcd's
// ConfChangesToString).
std::string ConfChangesToString(
    const std::vector<raftpb::ConfChangeSingle>& ccs);
// The inverse of ConfChangesToString; tokens are separated by blanks.
// InvalidArgument names a malformed token.
base::Result<std::vector<raftpb::ConfChangeSingle>> ConfChangesFromString(
    std::string_view s);
// A multi-line description of a Ready (empty string for an empty Ready).
std::string DescribeReady(const Ready& rd, const EntryFormatter& f = nullptr);

}  // namespace raft
