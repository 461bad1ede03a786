#include "proto/raftpb/codec.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace raftpb {
namespace {

// Wire types (protobuf encoding spec).
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kStartGroup = 3;
constexpr uint32_t kEndGroup = 4;
constexpr uint32_t kFixed32 = 5;

// ---- Encoding ----

void PutVarint(uint64_t v, std::string* out) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

void PutTag(uint32_t field, uint32_t wire_type, std::string* out) {
  PutVarint((static_cast<uint64_t>(field) << 3) | wire_type, out);
}

// Scalars are omitted when zero (proto3).
void PutUint64(uint32_t field, uint64_t v, std::string* out) {
  if (v == 0) return;
  PutTag(field, kVarint, out);
  PutVarint(v, out);
}

void PutEnum(uint32_t field, int32_t v, std::string* out) {
  if (v == 0) return;
  PutTag(field, kVarint, out);
  // Negative int32s are sign-extended to 64 bits, as protobuf does.
  PutVarint(static_cast<uint64_t>(static_cast<int64_t>(v)), out);
}

void PutBool(uint32_t field, bool v, std::string* out) {
  if (!v) return;
  PutTag(field, kVarint, out);
  out->push_back(1);
}

void PutBytes(uint32_t field, std::string_view v, std::string* out) {
  if (v.empty()) return;
  PutTag(field, kLengthDelimited, out);
  PutVarint(v.size(), out);
  out->append(v);
}

size_t TagSize(uint32_t field) { return VarintSize(uint64_t{field} << 3); }

size_t Uint64Size(uint32_t field, uint64_t v) {
  return v == 0 ? 0 : TagSize(field) + VarintSize(v);
}

size_t BytesSize(uint32_t field, size_t n) {
  return n == 0 ? 0 : TagSize(field) + VarintSize(n) + n;
}

size_t EmbeddedSize(uint32_t field, size_t n) {
  return TagSize(field) + VarintSize(n) + n;
}

size_t PackedSize(uint32_t field, const std::vector<uint64_t>& v) {
  if (v.empty()) return 0;
  size_t n = 0;
  for (uint64_t x : v) n += VarintSize(x);
  return EmbeddedSize(field, n);
}

void PutPacked(uint32_t field, const std::vector<uint64_t>& v,
               std::string* out) {
  if (v.empty()) return;
  size_t n = 0;
  for (uint64_t x : v) n += VarintSize(x);
  PutTag(field, kLengthDelimited, out);
  PutVarint(n, out);
  for (uint64_t x : v) PutVarint(x, out);
}

void PutEmbeddedHeader(uint32_t field, size_t size, std::string* out) {
  PutTag(field, kLengthDelimited, out);
  PutVarint(size, out);
}

size_t ConfChangeSingleSize(const ConfChangeSingle& c) {
  return Uint64Size(1, static_cast<uint64_t>(c.type)) +
         Uint64Size(2, c.node_id);
}

// ---- Decoding ----

// Reader: a cursor over untrusted bytes. Every read checks bounds.
class Reader {
 public:
  explicit Reader(std::string_view b)
      : p_(b.data()), end_(b.data() + b.size()) {}

  bool done() const { return p_ == end_; }

  bool ReadVarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      uint8_t byte = static_cast<uint8_t>(*p_++);
      // The tenth byte may only contribute one bit.
      if (shift == 63 && byte > 1) return false;
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  bool ReadBytes(std::string_view* v) {
    uint64_t n;
    if (!ReadVarint(&n)) return false;
    if (n > static_cast<uint64_t>(end_ - p_)) return false;
    *v = std::string_view(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }

  // Skips a field of the given wire type. Groups are not used by raftpb and
  // are rejected.
  bool Skip(uint32_t wire_type) {
    uint64_t v;
    std::string_view b;
    switch (wire_type) {
      case kVarint:
        return ReadVarint(&v);
      case kFixed64:
        return Advance(8);
      case kLengthDelimited:
        return ReadBytes(&b);
      case kFixed32:
        return Advance(4);
      case kStartGroup:
      case kEndGroup:
      default:
        return false;
    }
  }

 private:
  bool Advance(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }

  const char* p_;
  const char* end_;
};

base::Status Corrupt(std::string_view msg, uint32_t field,
                     std::string_view why) {
  std::string m = "raftpb: cannot decode ";
  m += msg;
  if (field != 0) {
    m += " field ";
    m += std::to_string(field);
  }
  m += ": ";
  m += why;
  return base::Status::DataLoss(std::move(m));
}

// Iterates over the fields of one message. The callback gets (field,
// wire_type, reader) and returns a Status; it must consume the field's
// value (or call r.Skip()).
template <typename Fn>
base::Status ForEachField(std::string_view bytes, std::string_view msg,
                          Fn&& fn) {
  Reader r(bytes);
  while (!r.done()) {
    uint64_t key;
    if (!r.ReadVarint(&key)) return Corrupt(msg, 0, "truncated field key");
    uint64_t field = key >> 3;
    uint32_t wire_type = static_cast<uint32_t>(key & 7);
    if (field == 0 || field > 0x1fffffff) {
      return Corrupt(msg, 0, "invalid field number");
    }
    CAIRN_RETURN_IF_ERROR(fn(static_cast<uint32_t>(field), wire_type, r));
  }
  return base::Status();
}

base::Status ReadUint64(Reader& r, uint32_t wire_type, std::string_view msg,
                        uint32_t field, uint64_t* v) {
  if (wire_type != kVarint) return Corrupt(msg, field, "wrong wire type");
  if (!r.ReadVarint(v)) return Corrupt(msg, field, "truncated varint");
  return base::Status();
}

base::Status ReadBool(Reader& r, uint32_t wire_type, std::string_view msg,
                      uint32_t field, bool* v) {
  uint64_t x = 0;
  CAIRN_RETURN_IF_ERROR(ReadUint64(r, wire_type, msg, field, &x));
  *v = x != 0;
  return base::Status();
}

// Reads an enum value and checks it is in [0, limit).
template <typename E>
base::Status ReadEnum(Reader& r, uint32_t wire_type, std::string_view msg,
                      uint32_t field, int32_t limit, E* v) {
  uint64_t x = 0;
  CAIRN_RETURN_IF_ERROR(ReadUint64(r, wire_type, msg, field, &x));
  int32_t e = static_cast<int32_t>(static_cast<uint32_t>(x));
  if (e < 0 || e >= limit)
    return Corrupt(msg, field, "enum value out of range");
  *v = static_cast<E>(e);
  return base::Status();
}

base::Status ReadLengthDelimited(Reader& r, uint32_t wire_type,
                                 std::string_view msg, uint32_t field,
                                 std::string_view* v) {
  if (wire_type != kLengthDelimited) {
    return Corrupt(msg, field, "wrong wire type");
  }
  if (!r.ReadBytes(v)) return Corrupt(msg, field, "truncated bytes");
  return base::Status();
}

base::Status ReadPayload(Reader& r, uint32_t wire_type, std::string_view msg,
                         uint32_t field, Payload* v) {
  std::string_view b;
  CAIRN_RETURN_IF_ERROR(ReadLengthDelimited(r, wire_type, msg, field, &b));
  *v = Payload(b);
  return base::Status();
}

// A repeated uint64, packed or not.
base::Status ReadRepeatedUint64(Reader& r, uint32_t wire_type,
                                std::string_view msg, uint32_t field,
                                std::vector<uint64_t>* v) {
  if (wire_type == kVarint) {
    uint64_t x;
    if (!r.ReadVarint(&x)) return Corrupt(msg, field, "truncated varint");
    v->push_back(x);
    return base::Status();
  }
  std::string_view b;
  CAIRN_RETURN_IF_ERROR(ReadLengthDelimited(r, wire_type, msg, field, &b));
  Reader packed(b);
  while (!packed.done()) {
    uint64_t x;
    if (!packed.ReadVarint(&x)) {
      return Corrupt(msg, field, "truncated packed varint");
    }
    v->push_back(x);
  }
  return base::Status();
}

base::Status DecodeEntryInto(std::string_view bytes, Entry* e) {
  return ForEachField(
      bytes, "Entry",
      [e](uint32_t field, uint32_t wt, Reader& r) -> base::Status {
        switch (field) {
          case 1:
            return ReadEnum(r, wt, "Entry", field, 3, &e->type);
          case 2:
            return ReadUint64(r, wt, "Entry", field, &e->term);
          case 3:
            return ReadUint64(r, wt, "Entry", field, &e->index);
          case 4:
            return ReadPayload(r, wt, "Entry", field, &e->data);
          default:
            if (!r.Skip(wt)) return Corrupt("Entry", field, "bad field");
            return base::Status();
        }
      });
}

base::Status DecodeHardStateInto(std::string_view bytes, HardState* hs) {
  return ForEachField(
      bytes, "HardState",
      [hs](uint32_t field, uint32_t wt, Reader& r) -> base::Status {
        switch (field) {
          case 1:
            return ReadUint64(r, wt, "HardState", field, &hs->term);
          case 2:
            return ReadUint64(r, wt, "HardState", field, &hs->vote);
          case 3:
            return ReadUint64(r, wt, "HardState", field, &hs->commit);
          default:
            if (!r.Skip(wt)) return Corrupt("HardState", field, "bad field");
            return base::Status();
        }
      });
}

base::Status DecodeConfStateInto(std::string_view bytes, ConfState* cs) {
  return ForEachField(
      bytes, "ConfState",
      [cs](uint32_t field, uint32_t wt, Reader& r) -> base::Status {
        switch (field) {
          case 1:
            return ReadRepeatedUint64(r, wt, "ConfState", field, &cs->voters);
          case 2:
            return ReadRepeatedUint64(r, wt, "ConfState", field, &cs->learners);
          case 3:
            return ReadRepeatedUint64(r, wt, "ConfState", field,
                                      &cs->voters_outgoing);
          case 4:
            return ReadRepeatedUint64(r, wt, "ConfState", field,
                                      &cs->learners_next);
          case 5:
            return ReadBool(r, wt, "ConfState", field, &cs->auto_leave);
          default:
            if (!r.Skip(wt)) return Corrupt("ConfState", field, "bad field");
            return base::Status();
        }
      });
}

base::Status DecodeSnapshotMetadataInto(std::string_view bytes,
                                        SnapshotMetadata* md) {
  return ForEachField(
      bytes, "SnapshotMetadata",
      [md](uint32_t field, uint32_t wt, Reader& r) -> base::Status {
        std::string_view b;
        switch (field) {
          case 1:
            // Embedded messages occurring twice are merged (protobuf rule).
            CAIRN_RETURN_IF_ERROR(
                ReadLengthDelimited(r, wt, "SnapshotMetadata", field, &b));
            return DecodeConfStateInto(b, &md->conf_state);
          case 2:
            return ReadUint64(r, wt, "SnapshotMetadata", field, &md->index);
          case 3:
            return ReadUint64(r, wt, "SnapshotMetadata", field, &md->term);
          default:
            if (!r.Skip(wt)) {
              return Corrupt("SnapshotMetadata", field, "bad field");
            }
            return base::Status();
        }
      });
}

base::Status DecodeSnapshotInto(std::string_view bytes, Snapshot* s) {
  return ForEachField(
      bytes, "Snapshot",
      [s](uint32_t field, uint32_t wt, Reader& r) -> base::Status {
        std::string_view b;
        switch (field) {
          case 1:
            return ReadPayload(r, wt, "Snapshot", field, &s->data);
          case 2:
            CAIRN_RETURN_IF_ERROR(
                ReadLengthDelimited(r, wt, "Snapshot", field, &b));
            return DecodeSnapshotMetadataInto(b, &s->metadata);
          default:
            if (!r.Skip(wt)) return Corrupt("Snapshot", field, "bad field");
            return base::Status();
        }
      });
}

base::Status DecodeMessageInto(std::string_view bytes, Message* m, int depth) {
  if (depth > kMaxDecodeDepth) {
    return Corrupt("Message", 14, "responses nested too deeply");
  }
  return ForEachField(
      bytes, "Message",
      [m, depth](uint32_t field, uint32_t wt, Reader& r) -> base::Status {
        std::string_view b;
        switch (field) {
          case 1:
            return ReadEnum(r, wt, "Message", field, kNumMessageTypes,
                            &m->type);
          case 2:
            return ReadUint64(r, wt, "Message", field, &m->to);
          case 3:
            return ReadUint64(r, wt, "Message", field, &m->from);
          case 4:
            return ReadUint64(r, wt, "Message", field, &m->term);
          case 5:
            return ReadUint64(r, wt, "Message", field, &m->log_term);
          case 6:
            return ReadUint64(r, wt, "Message", field, &m->index);
          case 7:
            CAIRN_RETURN_IF_ERROR(
                ReadLengthDelimited(r, wt, "Message", field, &b));
            m->entries.emplace_back();
            return DecodeEntryInto(b, &m->entries.back());
          case 8:
            return ReadUint64(r, wt, "Message", field, &m->commit);
          case 9:
            CAIRN_RETURN_IF_ERROR(
                ReadLengthDelimited(r, wt, "Message", field, &b));
            if (!m->snapshot) m->snapshot.emplace();
            return DecodeSnapshotInto(b, &*m->snapshot);
          case 10:
            return ReadBool(r, wt, "Message", field, &m->reject);
          case 11:
            return ReadUint64(r, wt, "Message", field, &m->reject_hint);
          case 12:
            return ReadPayload(r, wt, "Message", field, &m->context);
          case 13:
            return ReadUint64(r, wt, "Message", field, &m->vote);
          case 14:
            CAIRN_RETURN_IF_ERROR(
                ReadLengthDelimited(r, wt, "Message", field, &b));
            m->responses.emplace_back();
            return DecodeMessageInto(b, &m->responses.back(), depth + 1);
          default:
            if (!r.Skip(wt)) return Corrupt("Message", field, "bad field");
            return base::Status();
        }
      });
}

base::Status DecodeConfChangeSingleInto(std::string_view bytes,
                                        ConfChangeSingle* c) {
  return ForEachField(
      bytes, "ConfChangeSingle",
      [c](uint32_t field, uint32_t wt, Reader& r) -> base::Status {
        switch (field) {
          case 1:
            return ReadEnum(r, wt, "ConfChangeSingle", field, 4, &c->type);
          case 2:
            return ReadUint64(r, wt, "ConfChangeSingle", field, &c->node_id);
          default:
            if (!r.Skip(wt)) {
              return Corrupt("ConfChangeSingle", field, "bad field");
            }
            return base::Status();
        }
      });
}

template <typename T>
base::Result<T> Finish(base::Status s, T v) {
  if (!s.ok()) return s;
  return v;
}

}  // namespace

// ---- Public encoders ----

void EncodeEntry(const Entry& e, std::string* out) {
  PutEnum(1, static_cast<int32_t>(e.type), out);
  PutUint64(2, e.term, out);
  PutUint64(3, e.index, out);
  PutBytes(4, e.data.view(), out);
}

size_t EncodedSize(const HardState& hs) {
  return Uint64Size(1, hs.term) + Uint64Size(2, hs.vote) +
         Uint64Size(3, hs.commit);
}

void EncodeHardState(const HardState& hs, std::string* out) {
  PutUint64(1, hs.term, out);
  PutUint64(2, hs.vote, out);
  PutUint64(3, hs.commit, out);
}

size_t EncodedSize(const ConfState& cs) {
  return PackedSize(1, cs.voters) + PackedSize(2, cs.learners) +
         PackedSize(3, cs.voters_outgoing) + PackedSize(4, cs.learners_next) +
         (cs.auto_leave ? TagSize(5) + 1 : 0);
}

void EncodeConfState(const ConfState& cs, std::string* out) {
  PutPacked(1, cs.voters, out);
  PutPacked(2, cs.learners, out);
  PutPacked(3, cs.voters_outgoing, out);
  PutPacked(4, cs.learners_next, out);
  PutBool(5, cs.auto_leave, out);
}

size_t EncodedSize(const SnapshotMetadata& md) {
  return EmbeddedSize(1, EncodedSize(md.conf_state)) + Uint64Size(2, md.index) +
         Uint64Size(3, md.term);
}

void EncodeSnapshotMetadata(const SnapshotMetadata& md, std::string* out) {
  // The embedded conf_state is always written (present, maybe empty).
  PutEmbeddedHeader(1, EncodedSize(md.conf_state), out);
  EncodeConfState(md.conf_state, out);
  PutUint64(2, md.index, out);
  PutUint64(3, md.term, out);
}

size_t EncodedSize(const Snapshot& snap) {
  return BytesSize(1, snap.data.size()) +
         EmbeddedSize(2, EncodedSize(snap.metadata));
}

void EncodeSnapshot(const Snapshot& snap, std::string* out) {
  PutBytes(1, snap.data.view(), out);
  PutEmbeddedHeader(2, EncodedSize(snap.metadata), out);
  EncodeSnapshotMetadata(snap.metadata, out);
}

size_t EncodedSize(const Message& m) {
  size_t n = Uint64Size(1, static_cast<uint64_t>(m.type)) +
             Uint64Size(2, m.to) + Uint64Size(3, m.from) +
             Uint64Size(4, m.term) + Uint64Size(5, m.log_term) +
             Uint64Size(6, m.index);
  for (const Entry& e : m.entries) n += EmbeddedSize(7, EntrySize(e));
  n += Uint64Size(8, m.commit);
  if (m.snapshot) n += EmbeddedSize(9, EncodedSize(*m.snapshot));
  n += m.reject ? TagSize(10) + 1 : 0;
  n += Uint64Size(11, m.reject_hint);
  n += BytesSize(12, m.context.size());
  n += Uint64Size(13, m.vote);
  for (const Message& r : m.responses) {
    n += EmbeddedSize(14, EncodedSize(r));
  }
  return n;
}

void EncodeMessage(const Message& m, std::string* out) {
  PutEnum(1, static_cast<int32_t>(m.type), out);
  PutUint64(2, m.to, out);
  PutUint64(3, m.from, out);
  PutUint64(4, m.term, out);
  PutUint64(5, m.log_term, out);
  PutUint64(6, m.index, out);
  for (const Entry& e : m.entries) {
    PutEmbeddedHeader(7, EntrySize(e), out);
    EncodeEntry(e, out);
  }
  PutUint64(8, m.commit, out);
  if (m.snapshot) {
    PutEmbeddedHeader(9, EncodedSize(*m.snapshot), out);
    EncodeSnapshot(*m.snapshot, out);
  }
  PutBool(10, m.reject, out);
  PutUint64(11, m.reject_hint, out);
  PutBytes(12, m.context.view(), out);
  PutUint64(13, m.vote, out);
  for (const Message& r : m.responses) {
    PutEmbeddedHeader(14, EncodedSize(r), out);
    EncodeMessage(r, out);
  }
}

void EncodeConfChange(const ConfChange& cc, std::string* out) {
  PutUint64(1, cc.id, out);
  PutEnum(2, static_cast<int32_t>(cc.type), out);
  PutUint64(3, cc.node_id, out);
  PutBytes(4, cc.context.view(), out);
}

void EncodeConfChangeV2(const ConfChangeV2& cc, std::string* out) {
  PutEnum(1, static_cast<int32_t>(cc.transition), out);
  for (const ConfChangeSingle& c : cc.changes) {
    PutEmbeddedHeader(2, ConfChangeSingleSize(c), out);
    PutEnum(1, static_cast<int32_t>(c.type), out);
    PutUint64(2, c.node_id, out);
  }
  PutBytes(3, cc.context.view(), out);
}

// ---- Public decoders ----

base::Result<Entry> DecodeEntry(std::string_view bytes) {
  Entry e;
  base::Status s = DecodeEntryInto(bytes, &e);
  return Finish(std::move(s), std::move(e));
}

base::Result<HardState> DecodeHardState(std::string_view bytes) {
  HardState hs;
  base::Status s = DecodeHardStateInto(bytes, &hs);
  return Finish(std::move(s), hs);
}

base::Result<ConfState> DecodeConfState(std::string_view bytes) {
  ConfState cs;
  base::Status s = DecodeConfStateInto(bytes, &cs);
  return Finish(std::move(s), std::move(cs));
}

base::Result<SnapshotMetadata> DecodeSnapshotMetadata(std::string_view bytes) {
  SnapshotMetadata md;
  base::Status s = DecodeSnapshotMetadataInto(bytes, &md);
  return Finish(std::move(s), std::move(md));
}

base::Result<Snapshot> DecodeSnapshot(std::string_view bytes) {
  Snapshot snap;
  base::Status s = DecodeSnapshotInto(bytes, &snap);
  return Finish(std::move(s), std::move(snap));
}

base::Result<Message> DecodeMessage(std::string_view bytes) {
  Message m;
  base::Status s = DecodeMessageInto(bytes, &m, 0);
  return Finish(std::move(s), std::move(m));
}

base::Result<ConfChange> DecodeConfChange(std::string_view bytes) {
  ConfChange cc;
  base::Status s = ForEachField(
      bytes, "ConfChange",
      [&cc](uint32_t field, uint32_t wt, Reader& r) -> base::Status {
        switch (field) {
          case 1:
            return ReadUint64(r, wt, "ConfChange", field, &cc.id);
          case 2:
            return ReadEnum(r, wt, "ConfChange", field, 4, &cc.type);
          case 3:
            return ReadUint64(r, wt, "ConfChange", field, &cc.node_id);
          case 4:
            return ReadPayload(r, wt, "ConfChange", field, &cc.context);
          default:
            if (!r.Skip(wt)) return Corrupt("ConfChange", field, "bad field");
            return base::Status();
        }
      });
  return Finish(std::move(s), std::move(cc));
}

base::Result<ConfChangeV2> DecodeConfChangeV2(std::string_view bytes) {
  ConfChangeV2 cc;
  base::Status s = ForEachField(
      bytes, "ConfChangeV2",
      [&cc](uint32_t field, uint32_t wt, Reader& r) -> base::Status {
        std::string_view b;
        switch (field) {
          case 1:
            return ReadEnum(r, wt, "ConfChangeV2", field, 3, &cc.transition);
          case 2:
            CAIRN_RETURN_IF_ERROR(
                ReadLengthDelimited(r, wt, "ConfChangeV2", field, &b));
            cc.changes.emplace_back();
            return DecodeConfChangeSingleInto(b, &cc.changes.back());
          case 3:
            return ReadPayload(r, wt, "ConfChangeV2", field, &cc.context);
          default:
            if (!r.Skip(wt)) {
              return Corrupt("ConfChangeV2", field, "bad field");
            }
            return base::Status();
        }
      });
  return Finish(std::move(s), std::move(cc));
}

std::string EncodeToString(const Entry& e) {
  std::string s;
  EncodeEntry(e, &s);
  return s;
}
std::string EncodeToString(const HardState& hs) {
  std::string s;
  EncodeHardState(hs, &s);
  return s;
}
std::string EncodeToString(const ConfState& cs) {
  std::string s;
  EncodeConfState(cs, &s);
  return s;
}
std::string EncodeToString(const Snapshot& snap) {
  std::string s;
  EncodeSnapshot(snap, &s);
  return s;
}
std::string EncodeToString(const Message& m) {
  std::string s;
  EncodeMessage(m, &s);
  return s;
}
std::string EncodeToString(const ConfChange& cc) {
  std::string s;
  EncodeConfChange(cc, &s);
  return s;
}
std::string EncodeToString(const ConfChangeV2& cc) {
  std::string s;
  EncodeConfChangeV2(cc, &s);
  return s;
}

}  // namespace raftpb
