// Phase names of ProfilingOps (see profiling_ops.h), as report.json spells them.
#include "backend/profiling_ops.h"

namespace ctr {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::input: return "input";
    case Phase::gather: return "gather";
    case Phase::dense: return "mlp_fm_cross";
    case Phase::loss: return "loss";
    case Phase::embedding_update: return "embedding_update";
    case Phase::dense_update: return "dense_update";
    case Phase::kCount: break;
  }
  return "?";
}

}  // namespace ctr
