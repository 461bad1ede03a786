#pragma once

// Result<T>: a value of type T or a non-OK Status, shaped like absl::StatusOr.
// It becomes std::expected<T, Status> once the project moves to C++23 (GCC 12
// has no std::expected in C++20 mode).
//
//   base::Result<uint64_t> Term(uint64_t index);
//   CAIRN_ASSIGN_OR_RETURN(uint64_t term, storage.Term(i));
//
// Accessing the value of an error Result is a bug and aborts.

#include <optional>
#include <type_traits>
#include <utility>

#include "base/check.h"
#include "base/status.h"

namespace base {

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit from a value and from an error, so functions can `return x;`.
  Result(const T& value) : value_(value) {}        // NOLINT(runtime/explicit)
  Result(T&& value) : value_(std::move(value)) {}  // NOLINT
  // REQUIRES: !status.ok().
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    CAIRN_CHECK(!status_.ok(), "Result constructed from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  // OK when a value is held.
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  const T& value() const& {
    CheckOk();
    return *value_;
  }
  T& value() & {
    CheckOk();
    return *value_;
  }
  T&& value() && {
    CheckOk();
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The value, or `fallback` when this holds an error.
  T value_or(T fallback) const& { return ok() ? *value_ : fallback; }

 private:
  void CheckOk() const {
    CAIRN_CHECK(ok(), "Result accessed with error: %s",
                status_.ToString().c_str());
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace base

#define CAIRN_RESULT_CONCAT_INNER(a, b) a##b
#define CAIRN_RESULT_CONCAT(a, b) CAIRN_RESULT_CONCAT_INNER(a, b)

// CAIRN_ASSIGN_OR_RETURN(lhs, expr): evaluates expr (a Result<T>); on error
// returns its Status from the calling function, otherwise moves the value into
// lhs (which may be a declaration).
#define CAIRN_ASSIGN_OR_RETURN(lhs, expr)                                   \
  CAIRN_ASSIGN_OR_RETURN_IMPL(CAIRN_RESULT_CONCAT(cairn_result_, __LINE__), \
                              lhs, expr)
#define CAIRN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
