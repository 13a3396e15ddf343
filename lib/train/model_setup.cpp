// Model and optimizer set-up from a config (see model_setup.h).
#include "train/model_setup.h"

#include <cmath>

namespace ctr {

ModelSpec model_spec_for(const TrainConfig& cfg, const DatasetMeta& meta, double dense_l2) {
  std::vector<size_t> hidden(cfg.model.hidden.begin(), cfg.model.hidden.end());
  std::vector<size_t> bottom(cfg.model.bottom_hidden.begin(), cfg.model.bottom_hidden.end());
  return ModelSpec::for_type(to_string(cfg.model.type), meta.vocab_sizes, meta.dense_fields.size(),
                             static_cast<size_t>(cfg.model.embedding_dim), hidden,
                             static_cast<size_t>(cfg.model.cross_layers), cfg.model.cross_l2, dense_l2, bottom);
}

OptimizerOptions optimizer_options_for(const TrainConfig& cfg, const ResolvedHyper& hyper, uint64_t steps_per_epoch) {
  OptimizerOptions o;
  o.lr = hyper.lr;
  o.lr_embed = hyper.lr_embed;
  o.l2_embed = hyper.l2;
  o.beta1 = cfg.optimizer.beta1;
  o.beta2 = cfg.optimizer.beta2;
  o.eps = cfg.optimizer.eps;
  o.warmup_steps = static_cast<uint64_t>(std::llround(cfg.optimizer.warmup_epochs * double(steps_per_epoch)));
  o.update_all_rows = cfg.optimizer.embedding_update == EmbeddingUpdate::all_rows;
  o.cowclip.enabled = cfg.cowclip.enabled;
  o.cowclip.paper_bound = cfg.cowclip.bound_mode == BoundMode::paper;
  o.cowclip.r = cfg.cowclip.r;
  o.cowclip.zeta = cfg.cowclip.zeta;
  o.clip_global_norm = cfg.optimizer.clip_global_norm;
  return o;
}

}  // namespace ctr
