// HostBatch storage: one aligned block per batch holding the label, dense and categorical arrays.
#include "reader/host_batch.h"

#include <cstdlib>

#include "core/error.h"

namespace ctr {
namespace {

constexpr size_t kAlign = 64;  // a cache line, and enough for any SIMD load on the arrays

size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

class AlignedHeapAllocator : public HostAllocator {
 public:
  void* allocate(size_t bytes) override {
    void* p = std::aligned_alloc(kAlign, round_up(bytes == 0 ? 1 : bytes));
    if (!p) throw Error(fmt::format("out of host memory allocating a {}-byte batch buffer", bytes));
    return p;
  }
  void deallocate(void* p, size_t) override { std::free(p); }
  const char* name() const override { return "aligned-heap"; }
};

// Byte offsets of the three arrays inside the batch's block, and the block size. One block per
// batch keeps pinned allocations (slow, and limited by the driver) to one per pool buffer.
struct Layout {
  size_t dense, cat, total;
};

Layout layout_of(size_t capacity, size_t num_dense, size_t num_cat) {
  Layout l;
  l.dense = round_up(capacity * sizeof(float));
  l.cat = l.dense + round_up(capacity * num_dense * sizeof(float));
  l.total = l.cat + round_up(capacity * num_cat * sizeof(uint32_t));
  return l;
}

}  // namespace

HostAllocator& default_host_allocator() {
  static AlignedHeapAllocator alloc;
  return alloc;
}

HostBatch::HostBatch(size_t capacity, size_t num_dense, size_t num_cat, HostAllocator& alloc)
    : capacity_(capacity), num_dense_(num_dense), num_cat_(num_cat), alloc_(alloc) {
  Layout l = layout_of(capacity, num_dense, num_cat);
  char* block = static_cast<char*>(alloc_.allocate(l.total));
  labels = reinterpret_cast<float*>(block);
  dense = reinterpret_cast<float*>(block + l.dense);
  cat = reinterpret_cast<uint32_t*>(block + l.cat);
}

HostBatch::~HostBatch() {
  alloc_.deallocate(labels, layout_of(capacity_, num_dense_, num_cat_).total);
}

}  // namespace ctr
