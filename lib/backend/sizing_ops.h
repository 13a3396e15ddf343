// SizingOps: an Ops<float> whose memory only counts, so that building a run's objects on it says
// exactly how many bytes they would take on the real backend without allocating any (the memory
// planner, train/memory_plan.h). The objects sized this way may only allocate in their
// constructors: an op run through SizingOps is a ctrtrain bug, and throws as one.
#pragma once

#include <cstdint>
#include <string>

#include "backend/forwarding_ops.h"
#include "core/error.h"

namespace ctr {

// A MemorySpace that hands out no memory: allocate() records the bytes and returns null, and the
// copies do nothing, as nothing sized here is ever read or written.
class CountingMemory final : public MemorySpace {
 public:
  void* allocate(size_t bytes) override {
    bytes_ += bytes;
    return nullptr;
  }
  void release(void*, size_t) override {}
  void to_device(void*, const void*, size_t) override {}
  void to_host(void*, const void*, size_t) override {}
  void copy(void*, const void*, size_t) override {}
  void zero(void*, size_t) override {}
  uint64_t bytes() const { return bytes_; }  // allocated so far, none released

 private:
  uint64_t bytes_ = 0;
};

class SizingOps final : public ForwardingOps<float> {
 public:
  // `backend`: the backend the sized objects are meant for; its describe() and free memory pass
  // through, its memory is never touched.
  explicit SizingOps(Ops<float>& backend) : ForwardingOps<float>(backend) {}
  MemorySpace& memory() override { return counted_; }
  uint64_t bytes() const { return counted_.bytes(); }

 protected:
  void before_op() override {
    CTR_CHECK(false, "an op ran while sizing memory on {}; sized objects may only allocate", in_.describe());
  }

 private:
  CountingMemory counted_;
};

}  // namespace ctr
