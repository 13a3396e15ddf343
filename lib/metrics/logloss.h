// Mean binary cross-entropy (log loss) of predicted probabilities, as Keras and sklearn define it.
#pragma once

#include <cstddef>

namespace ctr {

// Mean of -(y log p + (1 - y) log(1 - p)) with p clipped to [eps, 1 - eps] (eps = 1e-7, as Keras),
// accumulated in double. labels must be 0 or 1 and probabilities must not be NaN (ctr::Error
// otherwise, naming the index); n == 0 is a ctr::Error. The result does not depend on the
// number of OpenMP threads.
double log_loss(const float* probs, const float* labels, size_t n, double eps = 1e-7);

}  // namespace ctr
