#pragma once

// Little-endian fixed-width integers and the 16-hex-digit numbers in WAL
// segment and snapshot file names. Pure functions.

#include <cstdint>
#include <string>
#include <string_view>

namespace server::wal {

// Appends the low `n` bytes of v, least significant first.
inline void PutFixed(uint64_t v, int n, std::string* out) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Reads an n-byte little-endian integer. REQUIRES: p has n bytes.
inline uint64_t GetFixed(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Parses lower-case hex digits (as file names print them); false on any
// other character or on more than 16 digits.
inline bool ParseHex(std::string_view s, uint64_t* v) {
  if (s.empty() || s.size() > 16) return false;
  *v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    *v = (*v << 4) | static_cast<uint64_t>(d);
  }
  return true;
}

// Parses "<16 hex>-<16 hex><suffix>" (segment and snapshot file names).
inline bool ParseHexPairName(std::string_view name, std::string_view suffix,
                             uint64_t* a, uint64_t* b) {
  if (name.size() != 33 + suffix.size() || name[16] != '-' ||
      name.substr(33) != suffix) {
    return false;
  }
  return ParseHex(name.substr(0, 16), a) && ParseHex(name.substr(17, 16), b);
}

}  // namespace server::wal
