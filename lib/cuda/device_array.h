// DeviceArray<T>: grow-only GPU scratch owned by one kernel module (sort keys, CUB temp storage,
// partial sums). ensure(n) reallocates only when n exceeds the capacity, so a training loop
// allocates during its first steps and never again.
#pragma once

#include <cstddef>
#include <utility>

namespace ctr::cuda {

// cudaMalloc that throws ctr::Error on failure. Out of memory names the request, what is free,
// `what` (the buffer's purpose) and the settings that shrink GPU memory use.
void* device_malloc(size_t bytes, const char* what);
void device_free(void* p);  // never throws (used by destructors)

template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(const char* what = "scratch") : what_(what) {}
  ~DeviceArray() { device_free(ptr_); }
  DeviceArray(DeviceArray&& o) noexcept
      : what_(o.what_), ptr_(std::exchange(o.ptr_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceArray& operator=(DeviceArray&&) = delete;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  // At least n elements; the contents are undefined after a reallocation.
  T* ensure(size_t n) {
    if (n > n_) {
      device_free(ptr_);
      ptr_ = nullptr;
      n_ = 0;
      ptr_ = static_cast<T*>(device_malloc(n * sizeof(T), what_));
      n_ = n;
    }
    return ptr_;
  }
  T* data() const { return ptr_; }
  size_t size() const { return n_; }

 private:
  const char* what_;
  T* ptr_ = nullptr;
  size_t n_ = 0;
};

}  // namespace ctr::cuda
