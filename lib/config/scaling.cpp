// The scaling rule table and the optimizer values it gives at the actual batch size.
#include "config/scaling.h"

#include <cmath>

namespace ctr {

ScalingFactors scaling_factors(ScalingRule rule, double s) {
  switch (rule) {
    case ScalingRule::none: return {1, 1, 1};
    case ScalingRule::sqrt: return {std::sqrt(s), std::sqrt(s), std::sqrt(s)};
    case ScalingRule::linear: return {s, s, s};
    // CowClip: embeddings keep their lr because clipping bounds each row's step, dense weights
    // follow the sqrt rule, and L2 grows linearly so its per-epoch pull stays the same.
    case ScalingRule::cowclip: return {std::sqrt(s), 1, s};
  }
  return {1, 1, 1};
}

ResolvedHyper resolve_scaling(const TrainConfig& cfg) {
  ResolvedHyper h;
  h.scale = static_cast<double>(cfg.train.batch_size) / static_cast<double>(cfg.scaling.base_batch_size);
  ScalingFactors f = scaling_factors(cfg.scaling.rule, h.scale);
  h.lr = cfg.optimizer.lr * f.lr;
  h.lr_embed = cfg.optimizer.lr_embed * f.lr_embed;
  h.l2 = cfg.optimizer.l2 * f.l2;
  return h;
}

}  // namespace ctr
