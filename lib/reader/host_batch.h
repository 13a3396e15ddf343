// HostBatch: a fixed-capacity batch of rows in host memory, allocated through a HostAllocator
// so the CUDA backend can hand in pinned memory for fast asynchronous copies.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ctr {

class HostAllocator {
 public:
  virtual ~HostAllocator() = default;
  virtual void* allocate(size_t bytes) = 0;  // throws ctr::Error when out of memory
  virtual void deallocate(void* p, size_t bytes) = 0;
  virtual const char* name() const = 0;
};

// Plain 64-byte-aligned heap memory.
HostAllocator& default_host_allocator();

class HostBatch {
 public:
  HostBatch(size_t capacity, size_t num_dense, size_t num_cat, HostAllocator& alloc);
  ~HostBatch();
  HostBatch(const HostBatch&) = delete;
  HostBatch& operator=(const HostBatch&) = delete;

  size_t rows = 0;           // valid rows, <= capacity()
  float* labels = nullptr;   // [capacity]
  float* dense = nullptr;    // [capacity * num_dense], row-major
  uint32_t* cat = nullptr;   // [capacity * num_cat], row-major, per-field ids

  size_t capacity() const { return capacity_; }
  size_t num_dense() const { return num_dense_; }
  size_t num_cat() const { return num_cat_; }

 private:
  size_t capacity_, num_dense_, num_cat_;
  HostAllocator& alloc_;
};

}  // namespace ctr
