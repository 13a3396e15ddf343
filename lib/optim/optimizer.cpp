// Optimizer step (see optimizer.h).
#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>

#include "backend/profiling_ops.h"
#include "core/error.h"

namespace ctr {

template <class T>
Optimizer<T>::Optimizer(Ops<T>& ops, CtrModel<T>& model, const OptimizerOptions& opts)
    : ops_(ops), model_(model), opts_(opts) {
  MemorySpace& mem = ops.memory();
  for (size_t i = 0; i < model.params().size(); ++i) {
    m_.emplace_back(mem, model.params()[i].size());
    v_.emplace_back(mem, model.params()[i].size());
    if (opts.clip_global_norm > 0) full_grad_.emplace_back(mem, model.params()[i].size());
  }
  table_m = Buffer<T>(mem, model.tables().table.size());
  table_v = Buffer<T>(mem, model.tables().table.size());
  linear_m = Buffer<T>(mem, model.tables().linear.size());
  linear_v = Buffer<T>(mem, model.tables().linear.size());
  clipped_ = Buffer<uint64_t>(mem, 1);
}

template <class T>
std::pair<Buffer<T>*, Buffer<T>*> Optimizer<T>::moments_of(const Buffer<T>* weight) {
  EmbeddingTables<T>& tables = model_.tables();
  if (weight == &tables.table) return {&table_m, &table_v};
  if (weight == &tables.linear) return {&linear_m, &linear_v};
  for (size_t i = 0; i < model_.params().size(); ++i)
    if (weight == &model_.params()[i].w) return {&m_[i], &v_[i]};
  CTR_CHECK(false, "a weight array of the model has no Adam moments");
  return {nullptr, nullptr};
}

template <class T>
std::vector<NamedArray<T>> Optimizer<T>::state() {
  // Walks the model's own list, so the two cannot disagree on which arrays exist or their order.
  std::vector<NamedArray<T>> out;
  for (const NamedArray<T>& w : model_.weights()) {
    const auto [m, v] = moments_of(w.buffer);
    out.push_back({"adam.m." + w.name, m});
    out.push_back({"adam.v." + w.name, v});
  }
  return out;
}

template <class T>
TableUpdateParams Optimizer<T>::table_params(bool embed_table, double lr, double grad_scale) const {
  TableUpdateParams p;
  p.table_rows = model_.tables().rows();
  p.dim = embed_table ? model_.tables().dim() : 1;
  p.update_all_rows = opts_.update_all_rows;
  p.l2 = opts_.l2_embed;
  p.grad_scale = grad_scale;
  if (embed_table) p.clip = opts_.cowclip;  // the linear table is never clipped
  p.adam = AdamStep{lr, opts_.beta1, opts_.beta2, opts_.eps, steps_ + 1};
  return p;
}

template <class T>
double Optimizer<T>::global_grad_norm() {
  ParamList<T>& params = model_.params();
  EmbeddingTables<T>& tables = model_.tables();
  const UniqueRows<T>& u = tables.unique;
  // The norm covers the whole gradient the optimizer would apply: data term plus L2 terms. The
  // network parameters' full gradient goes to full_grad_, leaving each NetworkParam::g as backward wrote it.
  double sq = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    NetworkParam<T>& p = params[i];
    ops_.memory().copy(full_grad_[i].data(), p.g.data(), p.size() * sizeof(T));
    if (p.l2 > 0) ops_.axpy(static_cast<T>(2 * p.l2), p.w.data(), full_grad_[i].data(), p.size());
    sq += ops_.sum_squares(full_grad_[i].data(), p.size());
  }
  if (tables.dim() > 0)
    sq += ops_.table_grad_sum_squares(table_params(true, opts_.lr_embed, 1), tables.table.data(), u.rows.data(),
                                      u.grad_embed.data(), u.count);
  if (tables.linear.size() > 0)
    sq += ops_.table_grad_sum_squares(table_params(false, opts_.lr_embed, 1), tables.linear.data(), u.rows.data(),
                                      u.grad_linear.data(), u.count);
  return std::sqrt(sq);
}

template <class T>
StepStats Optimizer<T>::step(uint64_t* clipped_rows) {
  StepStats st;
  const bool report_clipped = clipped_rows == nullptr;
  if (report_clipped) {
    clipped_.zero();
    clipped_rows = clipped_.data();
  }
  ParamList<T>& params = model_.params();
  EmbeddingTables<T>& tables = model_.tables();
  const UniqueRows<T>& u = tables.unique;
  st.lr = warmup_lr(opts_.lr, steps_, opts_.warmup_steps);
  const AdamStep network_step{st.lr, opts_.beta1, opts_.beta2, opts_.eps, steps_ + 1};
  const bool has_table = tables.dim() > 0, has_linear = tables.linear.size() > 0;

  PhaseScope network_phase(Phase::network_update);
  const bool clip_norm = opts_.clip_global_norm > 0;
  double scale = 1;
  if (clip_norm) {
    st.grad_norm = global_grad_norm();
    if (st.grad_norm > opts_.clip_global_norm) scale = opts_.clip_global_norm / st.grad_norm;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    NetworkParam<T>& p = params[i];
    // With a global norm the L2 term is already in full_grad_ (global_grad_norm).
    const T* g = clip_norm ? full_grad_[i].data() : p.g.data();
    ops_.adam_update(p.w.data(), g, m_[i].data(), v_[i].data(), p.size(), clip_norm ? 0.0 : p.l2, scale, network_step);
  }
  PhaseScope embedding_phase(Phase::embedding_update);
  if (has_table) {
    ops_.table_update(table_params(true, opts_.lr_embed, scale), tables.table.data(), table_m.data(),
                      table_v.data(), u.rows.data(), u.counts.data(), u.grad_embed.data(), u.count, clipped_rows);
    st.unique_rows = u.count;
  }
  // The linear table is never clipped (table_params), so it adds nothing to the count.
  if (has_linear)
    ops_.table_update(table_params(false, opts_.lr_embed, scale), tables.linear.data(), linear_m.data(),
                      linear_v.data(), u.rows.data(), u.counts.data(), u.grad_linear.data(), u.count, nullptr);
  ++steps_;
  if (report_clipped) {
    uint64_t n = 0;
    clipped_.download(&n, 1);
    st.clipped_rows = static_cast<size_t>(n);
  }
  return st;
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace ctr
