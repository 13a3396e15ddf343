// End-to-end gradient checks of every model (lr, fm, wdl, deepfm, dcn, dcnv2, dlrm) in double: the
// mean BCE of a batch with repeated ids, CtrModel::backward against central differences for every
// dense parameter entry and every embedding-table and linear-table entry (rows absent from the batch
// included: their gradient must be zero; dlrm has no linear table).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "backend/cpu_ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "model/ctr_model.h"
#include "reader/host_batch.h"
#include "support/fd_check.h"
#include "support/op_results.h"

using ctr::test::bce_loss_sum;

using namespace ctr;
using ctr::test::FdChecker;

namespace {

const std::vector<uint64_t> kVocab = {5, 3, 7, 4};
constexpr size_t kDense = 3, kDim = 4, kBatch = 9, kCapacity = 12;
const std::vector<size_t> kBottomHidden = {4};  // dlrm's bottom MLP: 3 -> 4 -> kDim; the others ignore it

ModelSpec spec_for(const std::string& type) {
  return ModelSpec::for_type(type, kVocab, kDense, kDim, {6, 5}, 2, 1e-5, 1e-4, kBottomHidden);
}

// The batch: ids repeat across samples, the same id value appears in several fields of a sample
// (different rows through the field offsets), and some rows of every field never occur.
void fill_host_batch(HostBatch& host, size_t num_dense = kDense) {
  static const uint32_t ids[kBatch][4] = {
      {0, 0, 0, 0}, {1, 2, 1, 2}, {0, 1, 3, 2}, {3, 0, 3, 1}, {1, 2, 1, 2},
      {0, 0, 5, 0}, {2, 1, 1, 1}, {1, 0, 0, 2}, {0, 2, 5, 0},
  };  // unused: field 0 id 4, field 2 ids 2, 4, 6, field 3 id 3
  host.rows = kBatch;
  Rng rng(5);
  for (size_t b = 0; b < kBatch; ++b) {
    host.labels[b] = float(b % 3 != 1);
    for (size_t j = 0; j < num_dense; ++j) host.dense[b * num_dense + j] = float(rng.unit());
    for (size_t f = 0; f < 4; ++f) host.cat[b * 4 + f] = ids[b][f];
  }
}

void fill_random(double* p, size_t n, uint64_t seed, double scale) {
  Rng rng(seed);
  for (size_t i = 0; i < n; ++i) p[i] = scale * (2 * rng.unit() - 1);
}

std::vector<std::string> param_names(const ParamList<double>& params) {
  std::vector<std::string> names;
  for (size_t i = 0; i < params.size(); ++i) names.push_back(params[i].name);
  return names;
}

}  // namespace

TEST_CASE("model gradients: ModelSpec::for_type composes the seven models", "[unit][gradients]") {
  CpuOps<double> ops(1);
  using V = std::vector<std::string>;
  const V base = {"output.bias", "linear.dense_kernel"};
  const V mlp = {"mlp.0.kernel", "mlp.0.bias", "mlp.1.kernel", "mlp.1.bias"};
  const V bottom = {"bottom_mlp.0.kernel", "bottom_mlp.0.bias", "bottom_mlp.1.kernel", "bottom_mlp.1.bias"};
  struct Case {
    std::string type;
    V names;
    size_t dim;
  };
  const std::vector<Case> cases = {
      {"lr", base, 0},
      {"fm", base, kDim},
      {"wdl", {base[0], base[1], mlp[0], mlp[1], mlp[2], mlp[3], "head.dnn_kernel"}, kDim},
      {"deepfm", {base[0], base[1], mlp[0], mlp[1], mlp[2], mlp[3], "head.dnn_kernel"}, kDim},
      {"dcn",
       {base[0], base[1], "cross.0.kernel", "cross.0.bias", "cross.1.kernel", "cross.1.bias", "head.cross_kernel",
        mlp[0], mlp[1], mlp[2], mlp[3], "head.dnn_kernel"},
       kDim},
      {"dcnv2",
       {base[0], base[1], "cross.0.kernel", "cross.0.bias", "cross.1.kernel", "cross.1.bias", "head.cross_kernel",
        mlp[0], mlp[1], mlp[2], mlp[3], "head.dnn_kernel"},
       kDim},
      {"dlrm", {base[0], bottom[0], bottom[1], bottom[2], bottom[3], mlp[0], mlp[1], mlp[2], mlp[3], "head.dnn_kernel"},
       kDim},
  };
  const size_t k0 = 4 * kDim + kDense;
  const size_t top_in = kDim + 5 * 4 / 2;  // dlrm's top MLP input: z_0, then the 10 pairs of 5 vectors
  for (const auto& c : cases) {
    CAPTURE(c.type);
    const ModelSpec spec = spec_for(c.type);
    CHECK(spec.embedding_dim == c.dim);
    CtrModel<double> model(ops, spec, kCapacity);
    CHECK(param_names(model.params()) == c.names);
    CHECK(model.tables().rows() == 19);
    CHECK(model.tables().dim() == c.dim);
    for (size_t i = 0; i < model.params().size(); ++i) {
      const auto& p = model.params()[i];
      CAPTURE(p.name);
      if (p.name == "linear.dense_kernel") CHECK(p.l2 == 1e-4);
      else if (p.name.rfind("cross.", 0) == 0 && p.name.find("kernel") != std::string::npos) CHECK(p.l2 == 1e-5);
      else CHECK(p.l2 == 0);
      if (p.name == "cross.0.kernel") CHECK(p.size() == (c.type == "dcn" ? k0 : k0 * k0));
      if (p.name == "mlp.0.kernel") CHECK(p.size() == (c.type == "dlrm" ? top_in : k0) * 6);
      if (p.name == "bottom_mlp.0.kernel") CHECK(p.size() == kDense * 4);
      if (p.name == "bottom_mlp.1.kernel") CHECK(p.size() == 4 * kDim);
      if (p.name == "head.cross_kernel") CHECK(p.size() == k0);
    }
  }
  CHECK_THROWS_AS(spec_for("xgboost"), UsageError);
  CHECK_THROWS_AS(ModelSpec::for_type("wdl", kVocab, kDense, kDim, {}, 2, 1e-5, 0), UsageError);
  CHECK_THROWS_AS(ModelSpec::for_type("dcn", kVocab, kDense, kDim, {}, 0, 1e-5, 0), UsageError);
  // dcn without cross layers is a DNN with a head; without a DNN, a cross network alone.
  CHECK(ModelSpec::for_type("dcn", kVocab, kDense, kDim, {6}, 0, 1e-5, 0).cross == CrossKind::none);
  CHECK(ModelSpec::for_type("dcnv2", kVocab, kDense, kDim, {}, 2, 1e-5, 0).cross == CrossKind::dcnv2);
}

namespace {

// CtrModel::backward of `spec` against central differences of the mean BCE, every entry.
void check_model_gradients(const ModelSpec& spec, int threads) {
  const size_t nd = spec.num_dense;
  CpuOps<double> ops(threads);
  CtrModel<double> model(ops, spec, kCapacity);
  model.init(42, 0.3);
  // Away from init's special points: random linear table and biases too.
  auto& tables = model.tables();
  fill_random(tables.linear.data(), tables.linear.size(), 7, 0.3);
  for (size_t i = 0; i < model.params().size(); ++i)
    if (model.params()[i].init == ParamInit::zeros)
      fill_random(model.params()[i].w.data(), model.params()[i].size(), 100 + i, 0.2);

  HostBatch host(kCapacity, nd, 4, default_host_allocator());
  fill_host_batch(host, nd);
  DeviceBatch<double> batch(ops.memory(), kCapacity, nd, 4);
  ops.load_batch(host, tables.field_offsets(), batch);
  REQUIRE(batch.rows == kBatch);

  std::vector<double> dl(kBatch);
  auto loss = [&] {
    model.forward(batch);
    return bce_loss_sum(ops, model.logits(), batch.labels.data(), kBatch, 1.0 / kBatch, dl.data()) / kBatch;
  };
  const double l0 = loss();
  REQUIRE(std::isfinite(l0));
  const std::vector<double> dlogits = dl;
  model.backward(batch, dlogits.data());

  // Copy the analytic gradients out before the finite differences run forward again.
  auto& params = model.params();
  std::vector<std::vector<double>> g;
  for (size_t i = 0; i < params.size(); ++i)
    g.emplace_back(params[i].g.data(), params[i].g.data() + params[i].size());
  const size_t rows = tables.rows(), dim = tables.dim();
  const auto& u = tables.unique;
  std::vector<double> g_table(rows * dim, 0.0), g_linear(rows, 0.0);
  std::set<uint32_t> present;
  for (size_t b = 0; b < kBatch; ++b)
    for (size_t f = 0; f < 4; ++f) present.insert(batch.rows_idx.data()[b * 4 + f]);
  REQUIRE(u.count == present.size());
  REQUIRE(present.size() < rows);  // some rows are absent
  for (size_t i = 0; i < u.count; ++i) {
    const uint32_t r = u.rows.data()[i];
    REQUIRE(present.count(r) == 1);
    for (size_t d = 0; d < dim; ++d) g_table[r * dim + d] = u.grad_embed.data()[i * dim + d];
    g_linear[r] = u.grad_linear.data()[i];
  }

  FdChecker fd(loss);
  size_t expected_checks = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    fd.check(params[i].name, params[i].w.data(), g[i].data(), params[i].size());
    expected_checks += params[i].size();
  }
  // Every entry of both tables: rows in the batch against UniqueRows, absent rows against zero.
  fd.check("embedding", tables.table.data(), g_table.data(), g_table.size());
  expected_checks += g_table.size();
  REQUIRE(tables.linear.size() == (spec.linear ? rows : 0));
  if (spec.linear) {
    fd.check("linear_table", tables.linear.data(), g_linear.data(), g_linear.size());
    expected_checks += g_linear.size();
  }
  {
    INFO(fd.report());
    CHECK(fd.checked() == expected_checks);
    CHECK(fd.ok());
    CHECK(fd.max_abs_numeric() > 1e-2);
  }

  // Each part carries gradient (a part dropped from backward would leave zeros that a loose check
  // on the others might hide).
  for (size_t i = 0; i < params.size(); ++i) {
    double mx = 0;
    for (double x : g[i]) mx = std::max(mx, std::fabs(x));
    CAPTURE(params[i].name);
    CHECK(mx > 1e-4);
  }
  if (dim > 0) {
    double mx = 0;
    for (double x : g_table) mx = std::max(mx, std::fabs(x));
    CHECK(mx > 1e-4);
  }

  // backward is repeatable: gradients are overwritten, never accumulated across calls.
  CHECK(loss() == l0);
  model.backward(batch, dlogits.data());
  for (size_t i = 0; i < params.size(); ++i) {
    CAPTURE(params[i].name);
    CHECK(std::vector<double>(params[i].g.data(), params[i].g.data() + params[i].size()) == g[i]);
  }
  for (size_t i = 0; i < u.count; ++i)
    for (size_t d = 0; d < dim; ++d)
      REQUIRE(u.grad_embed.data()[i * dim + d] == g_table[u.rows.data()[i] * dim + d]);
}

}  // namespace

TEST_CASE("model gradients: Every model's gradients match finite differences of the mean BCE", "[unit][gradients]") {
  const std::string type = GENERATE(as<std::string>{}, "lr", "fm", "wdl", "deepfm", "dcn", "dcnv2", "dlrm");
  const int threads = GENERATE(1, 2);
  CAPTURE(type, threads);
  check_model_gradients(spec_for(type), threads);
}

TEST_CASE("model gradients: dlrm without dense values or without bottom_hidden matches finite differences", "[unit][gradients]") {
  // No dense values (Avazu): no bottom MLP, the interaction is over the F embeddings alone. No
  // bottom_hidden: the bottom MLP is the one layer Nd -> D.
  const int threads = GENERATE(1, 2);
  const size_t nd = GENERATE(size_t(0), kDense);
  const bool deep_bottom = GENERATE(true, false);
  CAPTURE(threads, nd, deep_bottom);
  const ModelSpec spec = ModelSpec::for_type("dlrm", kVocab, nd, kDim, {6, 5}, 0, 1e-5, 0,
                                             deep_bottom ? std::vector<size_t>{5, 3} : std::vector<size_t>{});
  if (nd == 0)
    REQUIRE(spec.bottom.empty());
  else
    REQUIRE(spec.bottom == (deep_bottom ? std::vector<size_t>{5, 3, kDim} : std::vector<size_t>{kDim}));
  REQUIRE(spec.dlrm());
  check_model_gradients(spec, threads);
}

TEST_CASE("model gradients: dlrm's bottom MLP gets gradient from its initial weights, and without dense values there is none",
          "[unit][gradients]") {
  // From init() (zero biases), not from random biases as the finite-difference checks use: a bottom
  // MLP whose output started at exactly 0 behind a ReLU would never learn.
  CpuOps<double> ops(1);
  for (size_t nd : {kDense, size_t(0)}) {
    CAPTURE(nd);
    const ModelSpec spec = ModelSpec::for_type("dlrm", kVocab, nd, kDim, {6}, 0, 1e-5, 0, kBottomHidden);
    CtrModel<double> model(ops, spec, kCapacity);
    model.init(7, 0.05);
    size_t bottom_params = 0;
    for (const NamedArray<double>& a : model.weights()) bottom_params += a.name.rfind("bottom_mlp.", 0) == 0;
    CHECK(bottom_params == (nd ? 2 * (kBottomHidden.size() + 1) : 0));
    if (nd == 0) continue;
    HostBatch host(kCapacity, nd, 4, default_host_allocator());
    fill_host_batch(host, nd);
    DeviceBatch<double> batch(ops.memory(), kCapacity, nd, 4);
    ops.load_batch(host, model.tables().field_offsets(), batch);
    model.forward(batch);
    std::vector<double> dlogits(kBatch, 0.125);
    model.backward(batch, dlogits.data());
    for (size_t i = 0; i < model.params().size(); ++i) {
      const NetworkParam<double>& p = model.params()[i];
      if (p.name.rfind("bottom_mlp.", 0) != 0) continue;
      double mx = 0;
      for (size_t j = 0; j < p.size(); ++j) mx = std::max(mx, std::fabs(p.g.data()[j]));
      CAPTURE(p.name);
      CHECK(mx > 0);
    }
  }
}

TEST_CASE("model gradients: Float and double models agree on the same weights and batch", "[unit][gradients]") {
  const std::string type = GENERATE(as<std::string>{}, "lr", "fm", "wdl", "deepfm", "dcn", "dcnv2", "dlrm");
  CAPTURE(type);
  CpuOps<double> opd(1);
  CpuOps<float> opf(1);
  const ModelSpec spec = spec_for(type);
  CtrModel<double> md(opd, spec, kCapacity);
  CtrModel<float> mf(opf, spec, kCapacity);
  md.init(9, 0.3);
  mf.init(9, 0.3);  // the same host-side initialisation
  for (size_t i = 0; i < md.params().size(); ++i)
    for (size_t j = 0; j < md.params()[i].size(); ++j)
      REQUIRE(mf.params()[i].w.data()[j] == float(md.params()[i].w.data()[j]));
  HostBatch host(kCapacity, kDense, 4, default_host_allocator());
  fill_host_batch(host);
  DeviceBatch<double> bd(opd.memory(), kCapacity, kDense, 4);
  DeviceBatch<float> bf(opf.memory(), kCapacity, kDense, 4);
  opd.load_batch(host, md.tables().field_offsets(), bd);
  opf.load_batch(host, mf.tables().field_offsets(), bf);
  md.forward(bd);
  mf.forward(bf);
  std::vector<double> dld(kBatch);
  std::vector<float> dlf(kBatch);
  const double ld = bce_loss_sum(opd, md.logits(), bd.labels.data(), kBatch, 1.0 / kBatch, dld.data());
  const double lf = bce_loss_sum(opf, mf.logits(), bf.labels.data(), kBatch, 1.0f / kBatch, dlf.data());
  CHECK(lf == Approx(ld).epsilon(1e-5));
  for (size_t b = 0; b < kBatch; ++b) CHECK(mf.logits()[b] == Approx(md.logits()[b]).margin(1e-5));
  md.backward(bd, dld.data());
  mf.backward(bf, dlf.data());
  for (size_t i = 0; i < md.params().size(); ++i)
    for (size_t j = 0; j < md.params()[i].size(); ++j) {
      CAPTURE(md.params()[i].name, j);
      REQUIRE(mf.params()[i].g.data()[j] == Approx(md.params()[i].g.data()[j]).margin(1e-5));
    }
  REQUIRE(mf.tables().unique.count == md.tables().unique.count);
  for (size_t i = 0; i < md.tables().unique.count * md.tables().dim(); ++i)
    REQUIRE(mf.tables().unique.grad_embed.data()[i] == Approx(md.tables().unique.grad_embed.data()[i]).margin(1e-5));
}

TEST_CASE("model gradients: dlrm has a bottom MLP and no linear part", "[unit][gradients]") {
  const ModelSpec spec = spec_for("dlrm");
  CHECK(spec.type == "dlrm");
  CHECK_FALSE(spec.linear);
  CHECK_FALSE(spec.fm);
  CHECK(spec.cross == CrossKind::none);
  CHECK(spec.dlrm());
  CHECK(spec.uses_embeddings());
  CHECK(spec.embedding_dim == kDim);
  CHECK(spec.hidden == std::vector<size_t>{6, 5});
  CHECK(spec.bottom == std::vector<size_t>{4, kDim});  // bottom_hidden, then the embedding_dim-wide last layer
  // Without bottom_hidden the bottom MLP is its last layer alone.
  CHECK(ModelSpec::for_type("dlrm", kVocab, kDense, kDim, {6}, 0, 1e-5, 0).bottom == std::vector<size_t>{kDim});
  CHECK(ModelSpec::for_type("dlrm", kVocab, kDense, kDim, {6}, 0, 1e-5, 0, {8, 2}).bottom ==
        std::vector<size_t>{8, 2, kDim});
  // The other models keep their linear part and have no bottom MLP, whatever bottom_hidden says.
  for (const char* other : {"lr", "fm", "wdl", "deepfm", "dcn", "dcnv2"}) {
    CAPTURE(other);
    const ModelSpec o = spec_for(other);
    CHECK(o.linear);
    CHECK(o.bottom.empty());
    CHECK_FALSE(o.dlrm());
  }
  // The top MLP is required: its last layer feeds the head.
  CHECK_THROWS_AS(ModelSpec::for_type("dlrm", kVocab, kDense, kDim, {}, 2, 1e-5, 0, kBottomHidden), UsageError);

  CpuOps<double> ops(1);
  CtrModel<double> model(ops, spec, kCapacity);
  CHECK(model.tables().linear.size() == 0);
  CHECK(model.tables().table.size() == 19 * kDim);
  std::vector<std::string> names;
  size_t total = 0;
  for (const auto& a : model.weights()) {
    names.push_back(a.name);
    total += a.buffer->size();
  }
  const std::vector<std::string> want = {"table.embedding",     "output.bias",         "bottom_mlp.0.kernel",
                                         "bottom_mlp.0.bias",   "bottom_mlp.1.kernel", "bottom_mlp.1.bias",
                                         "mlp.0.kernel",        "mlp.0.bias",          "mlp.1.kernel",
                                         "mlp.1.bias",          "head.dnn_kernel"};
  CHECK(names == want);
  for (const char* absent : {"table.linear", "linear.dense_kernel"})
    CHECK(std::find(names.begin(), names.end(), absent) == names.end());
  CHECK(total == model.parameter_count());
  // 19*4 table + 1 bias + bottom 3*4+4 + 4*4+4 + top (4+10)*6+6 + 6*5+5 + head 5
  CHECK(model.parameter_count() == 76 + 1 + 16 + 20 + 90 + 35 + 5);

  // A resume compares architectures: a different bottom MLP is named as such.
  const ModelSpec wider = ModelSpec::for_type("dlrm", kVocab, kDense, kDim, {6, 5}, 2, 1e-5, 1e-4, {8});
  CHECK(spec.same_architecture(spec_for("dlrm")));
  CHECK(spec.architecture_difference(spec_for("dlrm")).empty());
  CHECK_FALSE(spec.same_architecture(wider));
  CHECK(spec.architecture_difference(wider) == "bottom MLP [4, 4] vs [8, 4]");
  const ModelSpec deeper = ModelSpec::for_type("dlrm", kVocab, kDense, kDim, {6, 5}, 2, 1e-5, 1e-4, {});
  CHECK(spec.architecture_difference(deeper) == "bottom MLP [4, 4] vs [4]");
  CHECK(spec.architecture_difference(spec_for("deepfm")) == "type dlrm vs deepfm");
}
