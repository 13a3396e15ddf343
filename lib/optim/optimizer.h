// Optimizer: the two Adam groups of the paper's code, L2, CowClip and global-norm clipping.
//   embeddings (d-dim and linear tables): lr_embed, constant; L2 lambda; CowClip on the d-dim table only
//   everything else: lr with linear warm-up from 1e-8; L2 per parameter (dense kernel lambda, cross 1e-5)
// The Adam moments live here, not in the model.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "model/ctr_model.h"

namespace ctr {

struct OptimizerOptions {
  double lr = 8e-4;           // network group, after scaling, before warm-up
  double lr_embed = 1e-4;     // embedding group, after scaling
  double l2_embed = 1e-5;     // lambda on both tables, after scaling
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-7;
  uint64_t warmup_steps = 0;  // linear warm-up of lr from 1e-8 over this many steps; 0 = none
  bool update_all_rows = true;   // authors' semantics: every table row is regularised and updated each step
  ClipParams cowclip;         // applies to the d-dim table
  double clip_global_norm = 0;  // > 0: scale all gradients so their global norm is at most this
};

struct StepStats {
  size_t unique_rows = 0;   // distinct d-dim table rows in the batch
  size_t clipped_rows = 0;  // of those, rows whose gradient CowClip cut (only when step() had no counter)
  double grad_norm = 0;     // global gradient norm, only computed when clip_global_norm > 0
  double lr = 0;            // network-group lr used at this step
};

template <class T>
class Optimizer {
 public:
  Optimizer(Ops<T>& ops, CtrModel<T>& model, const OptimizerOptions& opts);
  // One update from the gradients the model's backward() left (read, never changed). With `clipped_rows` (one counter
  // in backend memory) the clipped-row count is added there and the step does not wait for it (training); without, the
  // step waits and returns it in StepStats::clipped_rows (tests, per-step tools).
  StepStats step(uint64_t* clipped_rows = nullptr);
  uint64_t steps_done() const { return steps_; }
  void set_steps_done(uint64_t s) { steps_ = s; }  // when resuming
  const OptimizerOptions& options() const { return opts_; }

  // Every state array by name, for checkpoints: "adam.m.W" and "adam.v.W" for each weight array W
  // of CtrModel::weights(), in that order.
  std::vector<NamedArray<T>> state();

  // Moments of network parameter i (the model's order) and of the two tables.
  Buffer<T>& m(size_t param) { return m_[param]; }
  Buffer<T>& v(size_t param) { return v_[param]; }
  Buffer<T> table_m, table_v;    // [rows, dim]
  Buffer<T> linear_m, linear_v;  // [rows]

 private:
  TableUpdateParams table_params(bool embed_table, double lr, double grad_scale) const;
  // The Adam moments (m, v) of one of the model's weight arrays.
  std::pair<Buffer<T>*, Buffer<T>*> moments_of(const Buffer<T>* weight);
  // The norm of the whole gradient (data and L2 terms, every parameter and table); fills full_grad_.
  double global_grad_norm();
  Ops<T>& ops_;
  CtrModel<T>& model_;
  OptimizerOptions opts_;
  std::vector<Buffer<T>> m_, v_;
  std::vector<Buffer<T>> full_grad_;  // per network parameter, g + 2*l2*w; only with clip_global_norm
  Buffer<uint64_t> clipped_;  // [1] the count when step() is given no counter
  uint64_t steps_ = 0;
};

}  // namespace ctr
