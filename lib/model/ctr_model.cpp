// CtrModel: composition, forward and backward (see ctr_model.h).
#include "model/ctr_model.h"

#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backend/interaction_math.h"
#include "backend/profiling_ops.h"
#include "core/error.h"
#include "model/init.h"

namespace ctr {

ModelSpec ModelSpec::for_type(const std::string& type, std::vector<uint64_t> vocab_sizes, size_t num_dense,
                              size_t embedding_dim, const std::vector<size_t>& hidden, size_t cross_layers,
                              double cross_l2, double dense_l2, const std::vector<size_t>& bottom_hidden) {
  ModelSpec s;
  s.type = type;
  s.vocab_sizes = std::move(vocab_sizes);
  s.num_dense = num_dense;
  s.embedding_dim = embedding_dim;
  s.cross_l2 = cross_l2;
  s.dense_l2 = dense_l2;
  if (type == "lr") {
  } else if (type == "fm") {
    s.fm = true;
  } else if (type == "wdl") {
    s.hidden = hidden;
  } else if (type == "deepfm") {
    s.fm = true;
    s.hidden = hidden;
  } else if (type == "dcn" || type == "dcnv2") {
    s.hidden = hidden;
    s.cross = type == "dcn" ? CrossKind::dcn : CrossKind::dcnv2;
    s.cross_layers = cross_layers;
    if (cross_layers == 0) s.cross = CrossKind::none;
  } else if (type == "dlrm") {
    s.linear = false;
    s.dot_interaction = true;
    s.hidden = hidden;
    if (num_dense > 0) {
      s.bottom = bottom_hidden;
      s.bottom.push_back(embedding_dim);  // the bottom output joins the interaction as one more vector
    }
  } else {
    throw UsageError(fmt::format("unknown model type '{}' (expected lr, fm, wdl, deepfm, dcn, dcnv2 or dlrm)", type));
  }
  if (!s.uses_embeddings()) s.embedding_dim = 0;
  if (type == "dlrm" && hidden.empty())
    throw UsageError("model.hidden is empty: dlrm needs at least one top-MLP layer");
  if (type == "wdl" && hidden.empty())
    throw UsageError("model.hidden is empty: wdl needs at least one DNN layer (or use model.type: lr)");
  if ((type == "dcn" || type == "dcnv2") && hidden.empty() && cross_layers == 0)
    throw UsageError(fmt::format("{} with model.hidden: [] and model.cross_layers: 0 has neither a DNN nor a cross "
                                 "network; give one of them",
                                 type));
  return s;
}

std::string ModelSpec::architecture_difference(const ModelSpec& o) const {
  auto list = [](const auto& v) { return fmt::format("[{}]", fmt::join(v, ", ")); };
  if (type != o.type) return fmt::format("type {} vs {}", type, o.type);
  if (vocab_sizes != o.vocab_sizes)
    return fmt::format("vocabulary of {} vs {} fields, {} vs {} rows", vocab_sizes.size(), o.vocab_sizes.size(),
                       std::accumulate(vocab_sizes.begin(), vocab_sizes.end(), uint64_t(0)),
                       std::accumulate(o.vocab_sizes.begin(), o.vocab_sizes.end(), uint64_t(0)));
  if (num_dense != o.num_dense) return fmt::format("dense fields {} vs {}", num_dense, o.num_dense);
  if (embedding_dim != o.embedding_dim) return fmt::format("embedding_dim {} vs {}", embedding_dim, o.embedding_dim);
  if (hidden != o.hidden) return fmt::format("hidden {} vs {}", list(hidden), list(o.hidden));
  if (bottom != o.bottom) return fmt::format("bottom MLP {} vs {}", list(bottom), list(o.bottom));
  if (cross != o.cross || cross_layers != o.cross_layers)
    return fmt::format("cross layers {} vs {}", cross_layers, o.cross_layers);
  return "";
}

template <class T>
CtrModel<T>::CtrModel(Ops<T>& ops, const ModelSpec& spec, size_t max_batch)
    : ops_(ops),
      spec_(spec),
      max_batch_(max_batch),
      tables_(ops.memory(), spec.vocab_sizes, spec.embedding_dim, spec.linear, max_batch) {
  // A spec read from a checkpoint header skips for_type's checks; dlrm's backward needs the top MLP.
  CTR_CHECK(!spec.dlrm() || (!spec.hidden.empty() && (spec.num_dense == 0) == spec.bottom.empty() &&
                              (spec.bottom.empty() || spec.bottom.back() == spec.embedding_dim)),
            "inconsistent dlrm spec: top MLP {} layers, {} dense values, bottom MLP {} layers", spec.hidden.size(),
            spec.num_dense, spec.bottom.size());
  MemorySpace& mem = ops.memory();
  bias_ = params_.add(mem, "output.bias", {1}, ParamInit::zeros, 0);
  if (spec.linear)
    dense_kernel_ = params_.add(mem, "linear.dense_kernel", {spec.num_dense}, ParamInit::glorot_normal,
                                spec.dense_l2, spec.num_dense, 1);
  logits_ = Buffer<T>(mem, max_batch);
  if (!spec.uses_embeddings()) return;
  const size_t k0 = x0_width();
  x0_ = Buffer<T>(mem, max_batch * x0_stride());
  dx0_ = Buffer<T>(mem, max_batch * x0_stride());
  if (spec.fm) fm_out_ = Buffer<T>(mem, max_batch);
  size_t dnn_in = k0;
  if (spec.dlrm()) {
    if (!spec.bottom.empty()) {
      bottom_ = std::make_unique<Mlp<T>>(params_, mem, "bottom_mlp", spec.num_dense, spec.bottom, max_batch);
    }
    dnn_in = spec.embedding_dim + interaction_pairs(interaction_vectors());
    top_in_stride_ = aligned_row_width(dnn_in);
    top_in_ = Buffer<T>(mem, max_batch * top_in_stride_);
    d_top_in_ = Buffer<T>(mem, max_batch * top_in_stride_);
  }
  // Both head kernels share one fan-in, as the single Dense(1) over the concatenation would.
  size_t head_fan_in = 0;
  if (!spec.hidden.empty()) head_fan_in += spec.hidden.back();
  if (spec.cross != CrossKind::none) head_fan_in += k0;
  if (spec.cross != CrossKind::none) {
    cross_ = std::make_unique<CrossNet<T>>(params_, mem, spec.cross, k0, spec.cross_layers, spec.cross_l2, max_batch);
    head_cross_ = params_.add(mem, "head.cross_kernel", {k0}, ParamInit::glorot_normal, 0, head_fan_in, 1);
    d_cross_out_ = Buffer<T>(mem, max_batch * k0);
  }
  if (!spec.hidden.empty()) {
    mlp_ = std::make_unique<Mlp<T>>(params_, mem, "mlp", dnn_in, spec.hidden, max_batch);
    head_dnn_ = params_.add(mem, "head.dnn_kernel", {mlp_->out_dim()}, ParamInit::glorot_normal, 0, head_fan_in, 1);
    d_dnn_out_ = Buffer<T>(mem, max_batch * mlp_->out_dim());
  }
}

template <class T>
void CtrModel<T>::init(uint64_t seed, double init_stddev) {
  std::vector<double> host;
  std::vector<T> cast;
  auto upload = [&](Buffer<T>& buf) {
    cast.assign(host.begin(), host.end());
    buf.upload(cast.data(), cast.size());
  };
  if (tables_.dim() > 0) {
    fill_normal(host, tables_.table.size(), init_stddev, seed, "embedding");
    upload(tables_.table);
  }
  tables_.linear.zero();
  for (size_t i = 0; i < params_.size(); ++i) {
    NetworkParam<T>& p = params_[i];
    if (p.init == ParamInit::zeros) {
      p.w.zero();
    } else {
      fill_glorot_normal(host, p.size(), p.fan_in, p.fan_out, seed, p.name);
      upload(p.w);
    }
  }
}

template <class T>
size_t CtrModel<T>::parameter_count() const {
  size_t n = tables_.table.size() + tables_.linear.size();
  for (size_t i = 0; i < params_.size(); ++i) n += params_[i].size();
  return n;
}

template <class T>
std::vector<NamedArray<T>> CtrModel<T>::weights() {
  std::vector<NamedArray<T>> out;
  if (tables_.table.size()) out.push_back({EmbeddingTables<T>::kTableName, &tables_.table});
  if (tables_.linear.size()) out.push_back({EmbeddingTables<T>::kLinearName, &tables_.linear});
  for (size_t i = 0; i < params_.size(); ++i) out.push_back({params_[i].name, &params_[i].w});
  return out;
}

template <class T>
void CtrModel<T>::head_forward(const T* in, size_t width, const NetworkParam<T>& w, size_t batch) {
  GemmParams<T> p;  // logits [B, 1] += in [B, width] * w [width, 1]
  p.m = batch, p.n = 1, p.k = width;
  p.a = in, p.lda = width;
  p.b = w.w.data(), p.ldb = 1;
  p.beta = 1, p.c = logits_.data(), p.ldc = 1;
  ops_.gemm(p);
}

template <class T>
void CtrModel<T>::head_backward(const T* in, size_t width, NetworkParam<T>& w, const T* dlogits, size_t batch,
                                T* din) {
  GemmParams<T> dw;  // [width, 1] = in^T [width, B] * dlogits [B, 1]
  dw.trans_a = true;
  dw.m = width, dw.n = 1, dw.k = batch;
  dw.a = in, dw.lda = width;
  dw.b = dlogits, dw.ldb = 1;
  dw.beta = 0, dw.c = w.g.data(), dw.ldc = 1;
  ops_.gemm(dw);
  GemmParams<T> dx;  // din [B, width] = dlogits [B, 1] * w^T [1, width]
  dx.m = batch, dx.n = width, dx.k = 1;
  dx.a = dlogits, dx.lda = 1;
  dx.b = w.w.data(), dx.ldb = width;
  dx.beta = 0, dx.c = din, dx.ldc = width;
  ops_.gemm(dx);
}

// logits = bias [+ the linear logit]
template <class T>
void CtrModel<T>::linear_forward(const DeviceBatch<T>& batch) {
  const size_t b = batch.rows;
  if (spec_.linear)
    ops_.linear_forward(tables_.linear.data(), batch.rows_idx.data(), batch.dense.data(), dense_kernel_->w.data(), b,
                        tables_.fields(), spec_.num_dense, logits_.data());
  else
    ops_.memory().zero(logits_.data(), b * sizeof(T));
  ops_.add_bias(logits_.data(), bias_->w.data(), b, 1);
}

template <class T>
void CtrModel<T>::forward(const DeviceBatch<T>& batch) {
  const size_t b = batch.rows, nd = spec_.num_dense;
  CTR_CHECK(b <= max_batch_, "batch of {} rows above the model's {}", b, max_batch_);
  PhaseScope embedding(Phase::embedding_forward);
  linear_forward(batch);
  if (!spec_.uses_embeddings()) return;
  const size_t k0 = x0_width(), stride = x0_stride();
  tables_.gather(ops_, batch, x0_.data() + embedding_column(), stride);
  if (nd && !spec_.dlrm()) ops_.copy_2d(batch.dense.data(), nd, x0_.data() + tables_.fields() * spec_.embedding_dim,
                                   stride, b, nd);
  PhaseScope network(Phase::network_forward);
  if (spec_.dlrm()) dlrm_forward(batch);
  if (spec_.fm) {
    ops_.fm_forward(x0_.data(), stride, b, tables_.fields(), spec_.embedding_dim, fm_out_.data());
    ops_.axpy(T(1), fm_out_.data(), logits_.data(), b);
  }
  if (cross_) {
    cross_->forward(ops_, x0_.data(), b);
    head_forward(cross_->output(), k0, *head_cross_, b);
  }
  if (mlp_) {
    mlp_->forward(ops_, dnn_input(), dnn_input_stride(), b);
    head_forward(mlp_->output(), mlp_->out_dim(), *head_dnn_, b);
  }
}

// x0's first D columns = bottom MLP(dense) (when there are dense values); then the top MLP's input =
// the interaction of x0's vectors.
template <class T>
void CtrModel<T>::dlrm_forward(const DeviceBatch<T>& batch) {
  const size_t b = batch.rows, d = spec_.embedding_dim, stride = x0_stride();
  if (bottom_) {
    bottom_->forward(ops_, batch.dense.data(), spec_.num_dense, b);
    ops_.copy_2d(bottom_->output(), d, x0_.data(), stride, b, d);
  }
  ops_.dot_interaction_forward(x0_.data(), stride, b, interaction_vectors(), d, top_in_.data(), top_in_stride_);
}

// From the top MLP's input gradient (d_top_in_): the bottom MLP's backward and, in dx0, the
// embeddings' gradient.
template <class T>
void CtrModel<T>::dlrm_backward(const DeviceBatch<T>& batch) {
  const size_t b = batch.rows, d = spec_.embedding_dim, stride = x0_stride();
  ops_.dot_interaction_backward(x0_.data(), stride, d_top_in_.data(), top_in_stride_, b, interaction_vectors(), d,
                                dx0_.data());
  // The bottom output's gradient is x0's first D columns of dx0, read in place.
  if (bottom_) bottom_->backward(ops_, batch.dense.data(), spec_.num_dense, dx0_.data(), stride, b, nullptr, 0);
}

template <class T>
void CtrModel<T>::backward(const DeviceBatch<T>& batch, const T* dlogits) {
  const size_t b = batch.rows, nd = spec_.num_dense;
  // The output bias and the linear part's dense kernel: the linear logit's own (small) backward.
  PhaseScope network(Phase::network_backward);
  ops_.bias_grad(dlogits, bias_->g.data(), b, 1, false);
  if (dense_kernel_ && nd) {
    GemmParams<T> p;  // [Nd, 1] = dense^T [Nd, B] * dlogits [B, 1]
    p.trans_a = true;
    p.m = nd, p.n = 1, p.k = b;
    p.a = batch.dense.data(), p.lda = nd;
    p.b = dlogits, p.ldb = 1;
    p.beta = 0, p.c = dense_kernel_->g.data(), p.ldc = 1;
    ops_.gemm(p);
  }
  if (!spec_.uses_embeddings()) {
    PhaseScope embedding(Phase::embedding_backward);
    tables_.reduce(ops_, batch, nullptr, 0, dlogits);
    return;
  }
  const size_t k0 = x0_width(), stride = x0_stride();
  // The FM, cross and DNN backward add into dx0; dlrm's interaction backward writes all of it.
  if (!spec_.dlrm()) ops_.memory().zero(dx0_.data(), b * stride * sizeof(T));
  if (spec_.fm) ops_.fm_backward(x0_.data(), stride, dlogits, b, tables_.fields(), spec_.embedding_dim, dx0_.data());
  if (cross_) {
    head_backward(cross_->output(), k0, *head_cross_, dlogits, b, d_cross_out_.data());
    cross_->backward(ops_, x0_.data(), d_cross_out_.data(), b, dx0_.data());
  }
  if (mlp_) {
    head_backward(mlp_->output(), mlp_->out_dim(), *head_dnn_, dlogits, b, d_dnn_out_.data());
    T* d_in = spec_.dlrm() ? d_top_in_.data() : dx0_.data();
    if (spec_.dlrm()) ops_.memory().zero(d_in, b * top_in_stride_ * sizeof(T));
    mlp_->backward(ops_, dnn_input(), dnn_input_stride(), d_dnn_out_.data(), mlp_->out_dim(), b, d_in,
                   dnn_input_stride());
  }
  if (spec_.dlrm()) dlrm_backward(batch);
  PhaseScope embedding(Phase::embedding_backward);
  // dlrm has no linear table; the reduce still sums dlogits per row, which nothing reads.
  tables_.reduce(ops_, batch, dx0_.data() + embedding_column(), stride, dlogits);
}

template class CtrModel<float>;
template class CtrModel<double>;

}  // namespace ctr
