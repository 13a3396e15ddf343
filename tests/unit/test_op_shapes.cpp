// The shape checks of Ops<T>'s public ops (backend/op_shapes.h): a call whose strides or buffers
// cannot hold what the op reads or writes is a ctr::Error naming the op, before any backend runs,
// on the backend itself and through a decorator alike, and writes nothing.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "backend/cpu_ops.h"
#include "backend/profiling_ops.h"
#include "core/error.h"
#include "reader/host_batch.h"

using namespace ctr;
using Catch::Matchers::Contains;

namespace {

// Runs every bad call on `ops`; each must throw with `what` in its message and leave out untouched.
void check_rejects(Ops<float>& ops) {
  std::vector<float> a(64, 1.0f), out(64, -3.0f);
  const std::vector<float> before = out;
  GemmParams<float> g;
  g.m = 2, g.n = 3, g.k = 4;
  g.a = a.data(), g.lda = 3;  // A is [2, 4]: lda must be >= 4
  g.b = a.data(), g.ldb = 3;
  g.c = out.data(), g.ldc = 3;
  CHECK_THROWS_WITH(ops.gemm(g), Contains("gemm: lda 3 too small"));
  g.lda = 4, g.ldb = 2;  // B is [4, 3]: ldb must be >= 3
  CHECK_THROWS_WITH(ops.gemm(g), Contains("gemm: ldb 2 too small"));
  g.ldb = 3, g.ldc = 2;
  CHECK_THROWS_WITH(ops.gemm(g), Contains("gemm: ldc 2 < n 3"));
  CHECK_THROWS_WITH(ops.copy_2d(a.data(), 2, out.data(), 4, 3, 3), Contains("copy_2d: strides 2 and 4 below 3"));
  const std::vector<uint32_t> rows(8, 0);
  CHECK_THROWS_WITH(ops.embedding_gather(a.data(), rows.data(), 2, 2, 3, out.data(), 5),
                    Contains("embedding_gather: row stride 5 below 2 fields x dim 3"));
  CHECK_THROWS_WITH(ops.fm_forward(a.data(), 5, 2, 2, 3, out.data()), Contains("fm_forward: row stride 5"));
  CHECK_THROWS_WITH(ops.fm_backward(a.data(), 5, a.data(), 2, 2, 3, out.data()), Contains("fm_backward: row stride 5"));
  // 3 vectors of dim 2: 2 + 3 pairs = 5 output columns.
  CHECK_THROWS_WITH(ops.dot_interaction_forward(a.data(), 6, 2, 3, 2, out.data(), 4),
                    Contains("dot_interaction: output stride 4 below 2 + 3 pairs"));
  CHECK_THROWS_WITH(ops.dot_interaction_backward(a.data(), 5, a.data(), 5, 2, 3, 2, out.data()),
                    Contains("dot_interaction: row stride 5 below 3 fields x dim 2"));
  CHECK(out == before);
}

}  // namespace

TEST_CASE("op shapes: every backend's public ops reject strides too small for the data", "[unit][op_shapes]") {
  CpuOps<float> cpu(1);
  check_rejects(cpu);
  ProfilingOps<float> profiled(cpu);  // a decorator goes through the same checks
  check_rejects(profiled);
}

TEST_CASE("op shapes: embedding_reduce, table_update and load_batch reject buffers that cannot hold the batch",
          "[unit][op_shapes]") {
  CpuOps<float> ops(1);
  MemorySpace& mem = ops.memory();
  const std::vector<uint32_t> ids(12, 0);
  std::vector<float> grad(64, 0.0f);
  UniqueRows<float> small(mem, 5, 2);  // room for 5 occurrences; the batch has 3 x 4 = 12
  EmbeddingReduceParams p;
  p.batch = 3, p.fields = 4, p.dim = 2, p.table_rows = 10, p.grad_stride = 8;
  CHECK_THROWS_WITH(ops.embedding_reduce(p, ids.data(), grad.data(), grad.data(), small),
                    Contains("unique-row buffers hold 5 entries, batch needs 12"));
  UniqueRows<float> room(mem, 12, 2);
  p.grad_stride = 7;  // below 4 fields x dim 2
  CHECK_THROWS_WITH(ops.embedding_reduce(p, ids.data(), grad.data(), grad.data(), room),
                    Contains("stride 7 below 4 fields x dim 2"));
  p.grad_stride = 8;
  CHECK_THROWS_WITH(ops.embedding_reduce(p, ids.data(), grad.data(), nullptr, room),
                    Contains("no linear gradient"));
  CHECK(ops.embedding_reduce(p, ids.data(), grad.data(), grad.data(), room) == 1);

  TableUpdateParams t;
  t.table_rows = 3, t.dim = 2;
  std::vector<float> w(6, 0.5f), m(6, 0.0f), v(6, 0.0f);
  const std::vector<uint32_t> urows{0, 1, 2, 0}, counts(4, 1);
  CHECK_THROWS_WITH(ops.table_update(t, w.data(), m.data(), v.data(), urows.data(), counts.data(), grad.data(), 4,
                                     nullptr),
                    Contains("4 unique rows in a table of 3 rows"));
  CHECK(w == std::vector<float>(6, 0.5f));

  HostBatch host(4, 1, 2, default_host_allocator());
  host.rows = 4;
  DeviceBatch<float> dev(mem, 3, 1, 2);
  const std::vector<uint64_t> offsets{0, 5, 10};
  CHECK_THROWS_WITH(ops.load_batch(host, offsets.data(), dev), Contains("load_batch: batch of 4 rows"));
}
