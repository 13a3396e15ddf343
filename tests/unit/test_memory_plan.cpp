// Unit tests for the memory planner (train/memory_plan.h): its sizes are what training really
// allocates, the table formula `inspect --dim` prints agrees with them, a table far beyond any
// machine is planned without allocating and refused with the options that make it fit, and an
// op run while sizing is caught as a bug.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "backend/cpu_ops.h"
#include "backend/sizing_ops.h"
#include "core/byte_size.h"
#include "core/error.h"
#include "dataset/public_datasets.h"
#include "train/memory_plan.h"
#include "support/test_util.h"
#include "train/training_objects.h"

using namespace ctr;
using ctr::test::error_of;

namespace {

TrainingShape deepfm_shape(std::vector<uint64_t> vocab, size_t dim, size_t train_batch, size_t eval_batch) {
  TrainingShape s;
  s.spec = ModelSpec::for_type("deepfm", std::move(vocab), 13, dim, {64, 32}, 0, 1e-5, 1e-5);
  s.train_batch = train_batch;
  s.eval_batch = eval_batch;
  return s;
}

// A memory space that counts what it allocates for real, to check the sizing pass against.
class TallyingMemory final : public MemorySpace {
 public:
  explicit TallyingMemory(MemorySpace& inner) : in_(inner) {}
  void* allocate(size_t bytes) override {
    bytes_ += bytes;
    return in_.allocate(bytes);
  }
  void release(void* p, size_t bytes) override { in_.release(p, bytes); }
  void to_device(void* d, const void* s, size_t n) override { in_.to_device(d, s, n); }
  void to_host(void* d, const void* s, size_t n) override { in_.to_host(d, s, n); }
  void copy(void* d, const void* s, size_t n) override { in_.copy(d, s, n); }
  void zero(void* p, size_t n) override { in_.zero(p, n); }
  uint64_t bytes_ = 0;

 private:
  MemorySpace& in_;
};

class TallyingOps final : public ForwardingOps<float> {
 public:
  explicit TallyingOps(Ops<float>& inner) : ForwardingOps<float>(inner), mem_(inner.memory()) {}
  MemorySpace& memory() override { return mem_; }
  TallyingMemory mem_;
};

uint64_t item_bytes(const MemoryPlan& p, const std::string& prefix) {
  for (const MemoryItem& i : p.items)
    if (i.what.rfind(prefix, 0) == 0) return i.bytes;
  FAIL("no plan item starting with " << prefix);
  return 0;
}

}  // namespace

TEST_CASE("the memory plan is what training allocates, and its table items follow table_memory", "[train]") {
  CpuOps<float> cpu(1);
  const TrainingShape shape = deepfm_shape({1000, 250, 3, 77}, 8, 512, 2048);
  const MemoryPlan plan = plan_training_memory(cpu, shape, /*cache_bytes=*/12345);

  TallyingOps tally(cpu);
  { const TrainingObjects real(tally, shape); }
  CHECK(plan.total() == tally.mem_.bytes_ + 12345);

  const TableMemory t = table_memory(1330, 8, /*linear=*/true, 4);
  CHECK(item_bytes(plan, "embedding table [1330, 8]") == t.table);
  CHECK(item_bytes(plan, "linear table [1330]") == t.linear);
  CHECK(item_bytes(plan, "their Adam moments") == t.moments);
  // rows and counts (uint32), the summed d-dim and linear gradients (fp32), for every id of the
  // larger batch: the eval batch bounds the model's buffers.
  CHECK(item_bytes(plan, "distinct-row gradients of a 2048-row batch") == 2048 * 4 * (4 + 4 + 4 * 8 + 4));
  CHECK(item_bytes(plan, "data.cache") == 12345);
  CHECK_THAT(plan.describe(), Catch::StartsWith(format_bytes(plan.total()) + ": embedding table"));
}

TEST_CASE("dlrm plans no linear table", "[train]") {
  CpuOps<float> cpu(1);
  TrainingShape s;
  s.spec = ModelSpec::for_type("dlrm", {100, 100}, 4, 8, {16}, 0, 1e-5, 1e-5, {16});
  s.train_batch = s.eval_batch = 64;
  const MemoryPlan plan = plan_training_memory(cpu, s, 0);
  for (const MemoryItem& i : plan.items) CHECK(i.what.find("linear table") == std::string::npos);
  CHECK(item_bytes(plan, "their Adam moments") == table_memory(200, 8, false, 4).moments);
}

TEST_CASE("a table no machine holds is planned without allocating, then refused with what would fit", "[train]") {
  CpuOps<float> cpu(1);
  // 2 billion rows at dim 128: a 954 GiB table, 2.8 TiB with its Adam moments.
  const MemoryPlan plan = plan_training_memory(cpu, deepfm_shape({1000000000, 1000000000}, 128, 1024, 1024), 0);
  CHECK(item_bytes(plan, "embedding table") == 2000000000ull * 128 * 4);
  const std::string msg = error_of([&] { check_memory_plan(plan, {24ull << 30, "train.memory_limit"}); });
  CHECK_THAT(msg, Catch::Contains("train.memory_limit allows 24.0 GiB"));
  CHECK_THAT(msg, Catch::Contains("--max-vocab N") && Catch::Contains("--min-count N") &&
                      Catch::Contains("model.embedding_dim") && Catch::Contains("data.cache: none") &&
                      Catch::Contains("raise train.memory_limit"));
  const std::string on_device =
      error_of([&] { check_memory_plan(plan, {80ull << 30, "the memory free on cuda (H100)"}); });
  CHECK_THAT(on_device, !Catch::Contains("raise train.memory_limit"));
  CHECK_NOTHROW(check_memory_plan(plan, {0, "unknown"}));  // nothing known, nothing checked
  CHECK_NOTHROW(check_memory_plan(plan, {plan.total(), "train.memory_limit"}));
}

TEST_CASE("an op run while sizing is a ctrtrain bug", "[train]") {
  CpuOps<float> cpu(1);
  SizingOps sizing(cpu);
  float x[4] = {}, y[4] = {};
  CHECK_THROWS_AS(sizing.relu_forward(x, y, 4), InternalError);
  CHECK(sizing.memory().allocate(100) == nullptr);
  CHECK(sizing.bytes() == 100);
}

TEST_CASE("the Criteo 1TB configs' tables need what docs/criteo1tb.md says", "[train]") {
  // The 40M cap over the 1TB's per-field counts, plus one OOV row a field: the most rows
  // `preprocess --max-vocab 40000000` can give (fewer when the train days hold fewer values).
  uint64_t rows = 0;
  std::vector<uint64_t> vocab;
  for (uint64_t c : public_dataset(DatasetKind::criteo1tb).reference_cardinalities) {
    vocab.push_back(std::min<uint64_t>(c, 40000000) + 1);
    rows += vocab.back();
  }
  CHECK(rows == 163079119);
  const double gib = double(1ull << 30);
  CHECK(table_memory(rows, 128, false, 4).total() / gib == Approx(233.3).margin(0.05));  // dlrm
  CHECK(table_memory(rows, 128, true, 4).total() / gib == Approx(235.1).margin(0.05));   // dcnv2
  CHECK(table_memory(rows, 32, false, 4).total() / gib == Approx(58.3).margin(0.05));
  CHECK(table_memory(rows, 32, true, 4).total() / gib == Approx(60.1).margin(0.05));
  // The whole plans add the networks and the 65536-row batch's buffers: 5 to 13 GiB.
  CpuOps<float> cpu(1);
  TrainingShape s;
  s.spec = ModelSpec::for_type("dlrm", vocab, 13, 128, {1024, 1024, 512, 256}, 0, 1e-5, 1e-5, {512, 256});
  s.train_batch = 65536;
  s.eval_batch = 16384;
  CHECK(plan_training_memory(cpu, s, 0).total() / gib == Approx(239.8).margin(0.2));
  // Both configs at embedding_dim 32, the size docs/criteo1tb.md suggests for one H200.
  s.spec = ModelSpec::for_type("dlrm", vocab, 13, 32, {1024, 1024, 512, 256}, 0, 1e-5, 1e-5, {512, 256});
  const MemoryPlan dlrm32 = plan_training_memory(cpu, s, 0);
  s.spec = ModelSpec::for_type("dcnv2", vocab, 13, 32, {1024, 1024, 512, 256}, 3, 1e-5, 1e-5);
  const MemoryPlan dcn32 = plan_training_memory(cpu, s, 0);
  CHECK(dlrm32.total() / gib == Approx(62.8).margin(0.2));
  CHECK(dcn32.total() / gib == Approx(65.7).margin(0.2));
  s.spec = ModelSpec::for_type("dcnv2", vocab, 13, 128, {1024, 1024, 512, 256}, 3, 1e-5, 1e-5);
  CHECK(plan_training_memory(cpu, s, 0).total() / gib == Approx(249).margin(0.5));
}
