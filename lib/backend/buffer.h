// MemorySpace and Buffer<T>: arrays owned in one backend's memory (host RAM for the CPU backend,
// GPU memory for CUDA), so layers hold plain pointers and never care where the bytes live.
#pragma once

#include <cstddef>
#include <utility>

namespace ctr {

class MemorySpace {
 public:
  virtual ~MemorySpace() = default;
  virtual void* allocate(size_t bytes) = 0;  // zero-filled; throws ctr::Error with the size on failure
  virtual void release(void* p, size_t bytes) = 0;
  virtual void to_device(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void to_host(void* host_dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;  // both in this space
  virtual void zero(void* p, size_t bytes) = 0;
};

// An owning array of n elements of T in a MemorySpace. Move-only.
template <class T>
class Buffer {
 public:
  Buffer() = default;
  Buffer(MemorySpace& mem, size_t n) : mem_(&mem), n_(n) {
    if (n_) ptr_ = static_cast<T*>(mem.allocate(n_ * sizeof(T)));
  }
  ~Buffer() { reset(); }
  Buffer(Buffer&& o) noexcept { *this = std::move(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      reset();
      std::swap(mem_, o.mem_);
      std::swap(ptr_, o.ptr_);
      std::swap(n_, o.n_);
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }
  void zero() {
    if (n_) mem_->zero(ptr_, bytes());
  }
  void upload(const T* host, size_t n) { mem_->to_device(ptr_, host, n * sizeof(T)); }
  void download(T* host, size_t n) const { mem_->to_host(host, ptr_, n * sizeof(T)); }

 private:
  void reset() {
    if (ptr_) mem_->release(ptr_, bytes());
    ptr_ = nullptr;
    n_ = 0;
  }
  MemorySpace* mem_ = nullptr;
  T* ptr_ = nullptr;
  size_t n_ = 0;
};

}  // namespace ctr
