#include "raft/util.h"

#include <cstdio>

#include "proto/raftpb/codec.h"
#include "raft/config.h"

namespace raft {
namespace {

// Go's %q for bytes: printable ASCII as is, quotes and backslashes
// escaped, everything else as \xNN (or \n, \t...).
std::string Quote(std::string_view b) {
  std::string s = "\"";
  for (unsigned char c : b) {
    switch (c) {
      case '"':
        s += "\\\"";
        break;
      case '\\':
        s += "\\\\";
        break;
      case '\n':
        s += "\\n";
        break;
      case '\t':
        s += "\\t";
        break;
      case '\r':
        s += "\\r";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          s += static_cast<char>(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          s += buf;
        }
    }
  }
  s += '"';
  return s;
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string DescribeTarget(uint64_t id) {
  if (id == kNone) return "None";
  if (id == kLocalAppendThread) return "AppendThread";
  if (id == kLocalApplyThread) return "ApplyThread";
  return Hex(id);
}

std::string Ids(const std::vector<uint64_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) s += ' ';
    s += std::to_string(ids[i]);
  }
  s += ']';
  return s;
}

void DescribeMessageIndent(const std::string& indent, const raftpb::Message& m,
                           const EntryFormatter& f, std::string* out) {
  std::string& s = *out;
  s += indent + DescribeTarget(m.from) + "->" + DescribeTarget(m.to) + " " +
       raftpb::MessageTypeName(m.type) + " Term:" + std::to_string(m.term) +
       " Log:" + std::to_string(m.log_term) + "/" + std::to_string(m.index);
  if (m.reject) s += " Rejected (Hint: " + std::to_string(m.reject_hint) + ")";
  if (m.commit != 0) s += " Commit:" + std::to_string(m.commit);
  if (m.vote != 0) s += " Vote:" + std::to_string(m.vote);
  if (m.entries.size() == 1) {
    s += " Entries:[" + DescribeEntry(m.entries[0], f) + "]";
  } else if (m.entries.size() > 1) {
    s += " Entries:[";
    for (const raftpb::Entry& e : m.entries) {
      s += "\n" + indent + "  " + DescribeEntry(e, f);
    }
    s += "\n" + indent + "]";
  }
  if (m.snapshot && !raftpb::IsEmptySnap(*m.snapshot)) {
    s += "\n" + indent + "  Snapshot: " + DescribeSnapshot(*m.snapshot);
  }
  if (!m.responses.empty()) {
    s += " Responses:[";
    for (const raftpb::Message& r : m.responses) {
      s += "\n";
      DescribeMessageIndent(indent + "  ", r, f, out);
    }
    s += "\n" + indent + "]";
  }
}

}  // namespace

std::string DescribeEntry(const raftpb::Entry& e, const EntryFormatter& f) {
  std::string formatted;
  switch (e.type) {
    case raftpb::kEntryNormal:
      formatted = f ? f(e.data) : Quote(e.data.view());
      break;
    case raftpb::kEntryConfChange: {
      base::Result<raftpb::ConfChange> cc =
          raftpb::DecodeConfChange(e.data.view());
      formatted = cc.ok() ? ConfChangesToString(cc->AsV2().changes)
                          : cc.status().message();
      break;
    }
    case raftpb::kEntryConfChangeV2: {
      base::Result<raftpb::ConfChangeV2> cc =
          raftpb::DecodeConfChangeV2(e.data.view());
      formatted =
          cc.ok() ? ConfChangesToString(cc->changes) : cc.status().message();
      break;
    }
  }
  if (!formatted.empty()) formatted = " " + formatted;
  return std::to_string(e.term) + "/" + std::to_string(e.index) + " " +
         raftpb::EntryTypeName(e.type) + formatted;
}

std::string DescribeEntries(const std::vector<raftpb::Entry>& ents,
                            const EntryFormatter& f) {
  std::string s;
  for (const raftpb::Entry& e : ents) s += DescribeEntry(e, f) + "\n";
  return s;
}

std::string DescribeMessage(const raftpb::Message& m, const EntryFormatter& f) {
  std::string s;
  DescribeMessageIndent("", m, f, &s);
  return s;
}

std::string DescribeHardState(const raftpb::HardState& hs) {
  std::string s = "Term:" + std::to_string(hs.term);
  if (hs.vote != 0) s += " Vote:" + std::to_string(hs.vote);
  s += " Commit:" + std::to_string(hs.commit);
  return s;
}

std::string DescribeSoftState(const SoftState& ss) {
  return "Lead:" + std::to_string(ss.lead) +
         " State:" + StateTypeName(ss.raft_state);
}

std::string DescribeConfState(const raftpb::ConfState& cs) {
  return "Voters:" + Ids(cs.voters) +
         " VotersOutgoing:" + Ids(cs.voters_outgoing) +
         " Learners:" + Ids(cs.learners) +
         " LearnersNext:" + Ids(cs.learners_next) +
         " AutoLeave:" + (cs.auto_leave ? "true" : "false");
}

std::string DescribeSnapshot(const raftpb::Snapshot& snap) {
  const raftpb::SnapshotMetadata& m = snap.metadata;
  return "Index:" + std::to_string(m.index) +
         " Term:" + std::to_string(m.term) +
         " ConfState:" + DescribeConfState(m.conf_state);
}

std::string DescribeReady(const Ready& rd, const EntryFormatter& f) {
  std::string s;
  if (rd.soft_state) s += DescribeSoftState(*rd.soft_state) + "\n";
  if (rd.hard_state && !raftpb::IsEmptyHardState(*rd.hard_state)) {
    s += "HardState " + DescribeHardState(*rd.hard_state) + "\n";
  }
  if (!rd.read_states.empty()) {
    s += "ReadStates [";
    for (size_t i = 0; i < rd.read_states.size(); ++i) {
      if (i > 0) s += ' ';
      s += "{Index:" + std::to_string(rd.read_states[i].index) +
           " RequestCtx:" + Quote(rd.read_states[i].request_ctx.view()) + "}";
    }
    s += "]\n";
  }
  if (!rd.entries.empty()) s += "Entries:\n" + DescribeEntries(rd.entries, f);
  if (rd.snapshot && !raftpb::IsEmptySnap(*rd.snapshot)) {
    s += "Snapshot " + DescribeSnapshot(*rd.snapshot) + "\n";
  }
  if (!rd.committed_entries.empty()) {
    s += "CommittedEntries:\n" + DescribeEntries(rd.committed_entries, f);
  }
  if (!rd.messages.empty()) {
    s += "Messages:\n";
    for (const raftpb::Message& m : rd.messages) {
      s += DescribeMessage(m, f) + "\n";
    }
  }
  if (s.empty()) return "<empty Ready>";
  return std::string("Ready MustSync=") + (rd.must_sync ? "true" : "false") +
         ":\n" + s;
}

std::string ConfChangesToString(
    const std::vector<raftpb::ConfChangeSingle>& ccs) {
  std::string s;
  for (size_t i = 0; i < ccs.size(); ++i) {
    if (i > 0) s += ' ';
    switch (ccs[i].type) {
      case raftpb::kConfChangeAddNode:
        s += 'v';
        break;
      case raftpb::kConfChangeAddLearnerNode:
        s += 'l';
        break;
      case raftpb::kConfChangeRemoveNode:
        s += 'r';
        break;
      case raftpb::kConfChangeUpdateNode:
        s += 'u';
        break;
    }
    s += std::to_string(ccs[i].node_id);
  }
  return s;
}

base::Result<std::vector<raftpb::ConfChangeSingle>> ConfChangesFromString(
    std::string_view s) {
  std::vector<raftpb::ConfChangeSingle> ccs;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\n' && s[j] != '\t') ++j;
    std::string_view tok = s.substr(i, j - i);
    i = j;
    auto bad = [&tok](const char* why) {
      return base::Status::InvalidArgument("conf change \"" + std::string(tok) +
                                           "\": " + why);
    };
    raftpb::ConfChangeSingle cc;
    switch (tok[0]) {
      case 'v':
        cc.type = raftpb::kConfChangeAddNode;
        break;
      case 'l':
        cc.type = raftpb::kConfChangeAddLearnerNode;
        break;
      case 'r':
        cc.type = raftpb::kConfChangeRemoveNode;
        break;
      case 'u':
        cc.type = raftpb::kConfChangeUpdateNode;
        break;
      default:
        return bad("unknown type (want v, l, r or u)");
    }
    if (tok.size() < 2) return bad("missing node id");
    uint64_t id = 0;
    for (char c : tok.substr(1)) {
      if (c < '0' || c > '9') return bad("node id is not a number");
      id = id * 10 + static_cast<uint64_t>(c - '0');
    }
    cc.node_id = id;
    ccs.push_back(cc);
  }
  return ccs;
}

}  // namespace raft
