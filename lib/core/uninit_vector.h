// UninitVector<T>: a std::vector whose resize() leaves new elements of a plain type uninitialised.
// For big per-chunk buffers that are written in full right after sizing: value-initialising them
// zero-fills memory only to overwrite it (measured: a few percent of preprocessing's time).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace ctr {

template <class T, class Base = std::allocator<T>>
class DefaultInitAllocator : public Base {
  using Traits = std::allocator_traits<Base>;

 public:
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U, typename Traits::template rebind_alloc<U>>;
  };
  using Base::Base;
  DefaultInitAllocator() = default;
  template <class U, class B>
  DefaultInitAllocator(const DefaultInitAllocator<U, B>& o) noexcept : Base(o) {}

  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(p)) U;  // default-init: no zeroing for plain types
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    Traits::construct(static_cast<Base&>(*this), p, std::forward<Args>(args)...);
  }
};

template <class T>
using UninitVector = std::vector<T, DefaultInitAllocator<T>>;

}  // namespace ctr
