// Batch-size scaling rules: how lr, lr_embed and l2 follow the batch size (the CowClip paper's rules).
#pragma once

#include "config/train_config.h"

namespace ctr {

struct ScalingFactors {
  double lr = 1, lr_embed = 1, l2 = 1;
};

// Multipliers of `rule` at batch ratio s = batch_size / base_batch_size (s < 1 shrinks the values).
// cross_l2 and cowclip.zeta are never scaled, so they have no factor here.
ScalingFactors scaling_factors(ScalingRule rule, double s);

}  // namespace ctr
