#include "server/wal/record_format.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "base/check.h"
#include "server/wal/coding.h"
#include "server/wal/crc32c.h"

namespace server::wal {
namespace {

uint32_t RecordCrc(const char* length_bytes, uint8_t type,
                   std::string_view payload) {
  uint32_t crc = crc32c::Extend(0, length_bytes, 4);
  crc = crc32c::Extend(crc, &type, 1);
  return crc32c::Extend(crc, payload.data(), payload.size());
}

bool AllZero(std::string_view s) {
  for (char c : s) {
    if (c != 0) return false;
  }
  return true;
}

// Where a record at `off` ends if its header is believable, else 0.
struct Frame {
  bool header_complete = false;
  uint32_t length = 0;
  uint32_t crc = 0;
  uint8_t type = 0;
};

Frame ReadFrame(std::string_view file, uint64_t off) {
  Frame f;
  if (file.size() - off < kRecordHeaderSize) return f;
  const char* p = file.data() + off;
  f.header_complete = true;
  f.length = static_cast<uint32_t>(GetFixed(p, 4));
  f.crc = static_cast<uint32_t>(GetFixed(p + 4, 4));
  f.type = static_cast<uint8_t>(p[8]);
  return f;
}

// Returns the reason the record at `off` is invalid, or "" if it is valid.
std::string CheckFrame(std::string_view file, uint64_t off, const Frame& f) {
  if (!f.header_complete) return "truncated record header";
  if (f.type == 0) return "record type 0";
  if (f.length > kMaxRecordPayload ||
      off + kRecordHeaderSize + f.length > file.size()) {
    return "record length " + std::to_string(f.length) +
           " runs past the end of the file (" + std::to_string(file.size()) +
           " bytes)";
  }
  std::string_view payload = file.substr(off + kRecordHeaderSize, f.length);
  uint32_t actual = RecordCrc(file.data() + off, f.type, payload);
  if (actual != f.crc) {
    char buf[96];
    std::snprintf(buf, sizeof buf,
                  "checksum mismatch (stored 0x%08x, computed 0x%08x)", f.crc,
                  actual);
    return buf;
  }
  return "";
}

// True when a valid record starts anywhere in (from, to): proof that the
// bytes after a bad record were written and synced, so it is not a torn tail.
bool ValidRecordWithin(std::string_view file, uint64_t from, uint64_t to) {
  std::string_view limited = file.substr(0, to);
  for (uint64_t p = from + 1; p + kRecordHeaderSize <= to; ++p) {
    Frame f = ReadFrame(limited, p);
    if (f.type == 0 || f.length > to - p - kRecordHeaderSize) continue;
    if (CheckFrame(limited, p, f).empty()) return true;
  }
  return false;
}

// True when [begin, end) contains a whole, sector-aligned, all-zero sector:
// a page of an unsynced write that never reached the disk.
bool HasZeroSector(std::string_view file, uint64_t begin, uint64_t end) {
  uint64_t s = (begin + kSectorSize - 1) / kSectorSize * kSectorSize;
  for (; s + kSectorSize <= end; s += kSectorSize) {
    if (AllZero(file.substr(s, kSectorSize))) return true;
  }
  return false;
}

// The torn-write rule of docs/wal-format.md, for a bad record at `off` in
// the newest segment.
bool IsTornTail(std::string_view file, uint64_t off, const Frame& f) {
  uint64_t zero_from = file.size();  // Start of the trailing zeros.
  while (zero_from > off && file[zero_from - 1] == 0) --zero_from;
  uint64_t claimed_end = file.size();
  if (f.header_complete && f.length <= kMaxRecordPayload) {
    claimed_end = off + kRecordHeaderSize + f.length;
  }
  if (f.header_complete && f.length == 0 && f.crc == 0 && f.type == 0) {
    // A zero header followed by data: the write of this sector (and maybe
    // more) was lost while a later one persisted. The zeros then run from
    // `off` at least to the end of its sector.
    uint64_t boundary = (off / kSectorSize + 1) * kSectorSize;
    return AllZero(file.substr(off, boundary - off));
  }
  if (zero_from <= claimed_end) {
    // Nothing was written after this frame, unless its length is wrong and
    // later records hide inside it.
    return !ValidRecordWithin(file, off, zero_from);
  }
  // Data follows the frame: torn only if part of the frame never reached
  // the disk (the rest of the batch may have).
  return HasZeroSector(file, off, std::min<uint64_t>(claimed_end, file.size()));
}

}  // namespace

std::string SegmentFileName(uint64_t seq, uint64_t first_index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 "-%016" PRIx64 ".wal", seq,
                first_index);
  return buf;
}

bool ParseSegmentFileName(std::string_view name, SegmentHeader* out) {
  return ParseHexPairName(name, ".wal", &out->seq, &out->first_index);
}

std::string EncodeSegmentHeader(const SegmentHeader& h) {
  std::string out(kSegmentMagic, sizeof kSegmentMagic);
  PutFixed(kSegmentVersion, 4, &out);
  PutFixed(0, 4, &out);  // header_crc, filled below.
  PutFixed(h.seq, 8, &out);
  PutFixed(h.first_index, 8, &out);
  PutFixed(h.prev_end, 8, &out);
  uint32_t crc = crc32c::Extend(0, out.data(), 12);
  crc = crc32c::Extend(crc, out.data() + 16, kSegmentHeaderSize - 16);
  std::string crc_bytes;
  PutFixed(crc, 4, &crc_bytes);
  out.replace(12, 4, crc_bytes);
  return out;
}

base::Result<SegmentHeader> DecodeSegmentHeader(std::string_view data) {
  if (data.size() < kSegmentHeaderSize) {
    return base::Status::DataLoss("segment header truncated (" +
                                  std::to_string(data.size()) + " bytes)");
  }
  if (std::memcmp(data.data(), kSegmentMagic, sizeof kSegmentMagic) != 0) {
    return base::Status::DataLoss("bad segment magic");
  }
  uint32_t version = static_cast<uint32_t>(GetFixed(data.data() + 8, 4));
  if (version != kSegmentVersion) {
    return base::Status::DataLoss("unknown segment version " +
                                  std::to_string(version));
  }
  uint32_t stored = static_cast<uint32_t>(GetFixed(data.data() + 12, 4));
  uint32_t crc = crc32c::Extend(0, data.data(), 12);
  crc = crc32c::Extend(crc, data.data() + 16, kSegmentHeaderSize - 16);
  if (stored != crc) return base::Status::DataLoss("segment header checksum");
  SegmentHeader h;
  h.seq = GetFixed(data.data() + 16, 8);
  h.first_index = GetFixed(data.data() + 24, 8);
  h.prev_end = GetFixed(data.data() + 32, 8);
  return h;
}

void AppendRecord(uint8_t type, std::string_view payload, std::string* out) {
  CAIRN_CHECK(type != 0, "record type 0 is reserved");
  CAIRN_CHECK(payload.size() <= kMaxRecordPayload, "record of %zu bytes",
              payload.size());
  size_t start = out->size();
  PutFixed(payload.size(), 4, out);
  uint32_t crc = RecordCrc(out->data() + start, type, payload);
  PutFixed(crc, 4, out);
  out->push_back(static_cast<char>(type));
  out->append(payload);
}

SegmentScan ScanSegment(std::string_view file, bool last) {
  SegmentScan scan;
  uint64_t off = kSegmentHeaderSize;
  while (off < file.size()) {
    Frame f = ReadFrame(file, off);
    std::string_view rest = file.substr(off);
    bool zero_header =
        f.header_complete && f.length == 0 && f.crc == 0 && f.type == 0;
    if ((zero_header || !f.header_complete) && AllZero(rest)) break;
    std::string reason = CheckFrame(file, off, f);
    if (!reason.empty()) {
      scan.clean = false;
      scan.bad_offset = off;
      scan.reason = std::move(reason);
      scan.torn = last && IsTornTail(file, off, f);
      break;
    }
    scan.records.push_back(
        {f.type, file.substr(off + kRecordHeaderSize, f.length), off});
    off += kRecordHeaderSize + f.length;
  }
  scan.end = std::min<uint64_t>(off, file.size());
  return scan;
}

}  // namespace server::wal
