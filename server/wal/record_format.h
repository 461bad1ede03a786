#pragma once

// The on-disk framing of the generic record log (docs/wal-format.md has the
// byte-by-byte description and the recovery rules).
//
// A segment file is named "<seq>-<first_index>.wal" (16 lower-case hex
// digits each) and holds a 32-byte header followed by records:
//
//   header:  magic "CAIRNWAL" (8) | version u32 | header_crc u32 |
//            seq u64 | first_index u64 | prev_end u64    (little-endian)
//   record:  length u32 | crc u32 | type u8 | payload[length]
//
// The record crc is CRC-32C over the 4 length bytes, the type byte and the
// payload. Type 0 is reserved: an all-zero record header marks the end of the
// data (the zeros of preallocated space).
//
// Thread safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace server::wal {

inline constexpr char kSegmentMagic[8] = {'C', 'A', 'I', 'R',
                                          'N', 'W', 'A', 'L'};
inline constexpr uint32_t kSegmentVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 40;
inline constexpr size_t kRecordHeaderSize = 9;
// Largest payload of one record. Anything longer in a header is corrupt.
inline constexpr uint32_t kMaxRecordPayload = 1u << 30;
// Sector size assumed by the torn-write rule (a sector is written whole).
inline constexpr size_t kSectorSize = 512;

struct SegmentHeader {
  uint64_t seq = 0;
  uint64_t first_index = 0;
  // Where the data of segment seq-1 ends (its size once trimmed); 0 for the
  // first segment of a log. Recovery checks it, so that a segment that lost
  // its last records (truncated or zeroed at a record boundary, which looks
  // like a clean end) is refused instead of silently skipped.
  uint64_t prev_end = 0;
};

// "<seq>-<first_index>.wal".
std::string SegmentFileName(uint64_t seq, uint64_t first_index);
// Parses a segment file name; false if `name` is not one.
bool ParseSegmentFileName(std::string_view name, SegmentHeader* out);

std::string EncodeSegmentHeader(const SegmentHeader& h);
// Returns DATA_LOSS with a reason when data does not start with a valid
// header (short, bad magic, unknown version, bad crc).
base::Result<SegmentHeader> DecodeSegmentHeader(std::string_view data);

// Appends the framed record to *out. REQUIRES: type != 0,
// payload.size() <= kMaxRecordPayload.
void AppendRecord(uint8_t type, std::string_view payload, std::string* out);

// One record found by ScanSegment. Views point into the scanned buffer.
struct ScannedRecord {
  uint8_t type = 0;
  std::string_view payload;
  uint64_t offset = 0;  // Of the record header, from the start of the file.
};

// The outcome of scanning one segment's bytes.
struct SegmentScan {
  std::vector<ScannedRecord> records;
  // Offset just past the last valid record: where the next record goes.
  uint64_t end = 0;
  // Set when the data after `end` is not clean (all zeros): a torn tail if
  // torn is true, else corruption at `bad_offset` for `reason`.
  bool clean = true;
  bool torn = false;
  uint64_t bad_offset = 0;
  std::string reason;
};

// Scans a whole segment file (header included). `last` says whether this is
// the newest segment, the only one that may end in a torn write. Does not
// fail: the caller decides what an unclean scan means.
SegmentScan ScanSegment(std::string_view file, bool last);

}  // namespace server::wal
