// ZeroedArray<T>: a fixed-size, zero-filled array of plain structs for big random-access tables
// (the vocabulary hash tables). Why not std::vector: the memory comes straight from mmap, so
// it is zero without a fill pass, and arrays of 2 MB or more ask the kernel for transparent
// huge pages. A table of 100+ MB probed at random otherwise misses the TLB on nearly every
// probe; with 2 MB pages the page walk mostly disappears.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace ctr {

template <class T>
class ZeroedArray {
  static_assert(std::is_trivially_copyable<T>::value, "ZeroedArray holds plain structs only");

 public:
  ZeroedArray() = default;
  explicit ZeroedArray(size_t n) : n_(n) {
    if (n == 0) return;
    bytes_ = n * sizeof(T);
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    // Advisory only: where THP is off, this fails or does nothing and 4 KB pages are used.
    if (bytes_ >= (size_t{2} << 20)) madvise(p, bytes_, MADV_HUGEPAGE);
#endif
    data_ = static_cast<T*>(p);
  }
  ~ZeroedArray() {
    if (data_) munmap(data_, bytes_);
  }
  ZeroedArray(ZeroedArray&& o) noexcept { swap(o); }
  ZeroedArray& operator=(ZeroedArray&& o) noexcept {
    swap(o);
    return *this;
  }
  ZeroedArray(const ZeroedArray&) = delete;
  ZeroedArray& operator=(const ZeroedArray&) = delete;

  void swap(ZeroedArray& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(n_, o.n_);
    std::swap(bytes_, o.bytes_);
  }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + n_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + n_; }

 private:
  T* data_ = nullptr;
  size_t n_ = 0;
  size_t bytes_ = 0;
};

}  // namespace ctr
