#pragma once

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum that
// frames every WAL record and every snapshot file.
//
// Two implementations compute the same function: the SSE4.2 `crc32`
// instruction when the CPU has it (checked once at run time), and a portable
// slicing-by-8 table otherwise. Extend() lets a caller checksum data in
// pieces: Extend(Extend(0, a), b) == Value(a + b).
//
// Thread safety: every function is pure and may be called from any thread.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace server::wal::crc32c {

// Returns the CRC-32C of `crc`'s data followed by data[0, n).
uint32_t Extend(uint32_t crc, const void* data, size_t n);

// Returns the CRC-32C of data[0, n).
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Value(s.data(), s.size()); }

// True when Extend() uses the SSE4.2 instruction on this machine.
bool UsingHardware();

namespace internal {
// The portable slicing-by-8 implementation, exposed so tests can compare
// it with the hardware one.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);
}  // namespace internal

}  // namespace server::wal::crc32c
