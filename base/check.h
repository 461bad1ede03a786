#pragma once

// CAIRN_CHECK: aborts the process, in every build type, when an invariant
// is broken. A failed check is a bug, never an expected error (those are
// Statuses). The message names the file, line, condition and any context the
// caller formats printf-style:
//
//   CAIRN_CHECK(match < next, "node %llu: match %llu next %llu", id, m, n);
//
// CAIRN_DCHECK is the same but compiled out under NDEBUG unless
// CAIRN_EXPENSIVE_CHECKS is defined; use it for whole-structure checks.

#include <cstdio>
#include <cstdlib>

namespace base::internal {

[[noreturn]] inline void CheckFailed(const char* file, int line,
                                     const char* cond) {
  std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, cond);
  std::fflush(stderr);
  std::abort();
}

template <typename... Args>
[[noreturn]] void CheckFailed(const char* file, int line, const char* cond,
                              const char* fmt, Args... args) {
  std::fprintf(stderr, "%s:%d: CHECK failed: %s: ", file, line, cond);
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#pragma clang diagnostic ignored "-Wformat-security"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
#endif
  std::fprintf(stderr, fmt, args...);
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace base::internal

#define CAIRN_CHECK(cond, ...)                                         \
  do {                                                                 \
    if (__builtin_expect(!(cond), 0)) {                                \
      ::base::internal::CheckFailed(__FILE__, __LINE__,                \
                                    #cond __VA_OPT__(, ) __VA_ARGS__); \
    }                                                                  \
  } while (0)

#if defined(NDEBUG) && !defined(CAIRN_EXPENSIVE_CHECKS)
#define CAIRN_DCHECK(cond, ...) \
  do {                          \
  } while (0)
#else
#define CAIRN_DCHECK(cond, ...) CAIRN_CHECK(cond __VA_OPT__(, ) __VA_ARGS__)
#endif
