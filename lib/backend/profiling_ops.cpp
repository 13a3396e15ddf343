// Phase names and the per-thread phase scope of ProfilingOps (see profiling_ops.h).
#include "backend/profiling_ops.h"

namespace ctr {

namespace {
thread_local Phase t_phase = Phase::other;
}

PhaseScope::PhaseScope(Phase p) : previous_(t_phase) { t_phase = p; }
PhaseScope::~PhaseScope() { t_phase = previous_; }
Phase PhaseScope::current() { return t_phase; }

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::input: return "input";
    case Phase::embedding_forward: return "embedding_forward";
    case Phase::network_forward: return "network_forward";
    case Phase::loss: return "loss";
    case Phase::network_backward: return "network_backward";
    case Phase::embedding_backward: return "embedding_backward";
    case Phase::network_update: return "network_update";
    case Phase::embedding_update: return "embedding_update";
    case Phase::other: return "other";
    case Phase::kCount: break;
  }
  return "?";
}

}  // namespace ctr
