#pragma once
#include <cassert>
#include <optional>
#include <utility>
#include <variant>

#include "teledx/core/error.hpp"

namespace teledx {

/// Value-or-Error, shaped like std::expected (C++23) so it can be swapped for it later.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { assert(ok() && "value() on an error Result"); return std::get<0>(v_); }
  const T& value() const& { assert(ok() && "value() on an error Result"); return std::get<0>(v_); }
  T&& value() && { assert(ok() && "value() on an error Result"); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { assert(!ok() && "error() on an ok Result"); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(!ok() && "error() on an ok Result"); return *e_; }

 private:
  std::optional<Error> e_;
};

inline Result<void> ok() { return {}; }

}  // namespace teledx

/// Propagates an error Result from the current function.
#define TELEDX_TRY(expr)                                   \
  do {                                                     \
    auto&& teledx_try_r_ = (expr);                         \
    if (!teledx_try_r_.ok()) return teledx_try_r_.error(); \
  } while (0)
