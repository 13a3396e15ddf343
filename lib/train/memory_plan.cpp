// The memory planner (see memory_plan.h).
#include "train/memory_plan.h"

#include <fmt/format.h>

#include "backend/sizing_ops.h"
#include "core/byte_size.h"
#include "core/error.h"

namespace ctr {

uint64_t MemoryPlan::total() const {
  uint64_t n = 0;
  for (const MemoryItem& i : items) n += i.bytes;
  return n;
}

std::string MemoryPlan::describe() const {
  std::string s = format_bytes(total()) + ":";
  for (size_t i = 0; i < items.size(); ++i)
    s += fmt::format("{} {} {}", i ? "," : "", items[i].what, format_bytes(items[i].bytes));
  return s;
}

TableMemory table_memory(uint64_t table_rows, size_t dim, bool linear, size_t value_bytes) {
  TableMemory m;
  m.table = table_rows * dim * value_bytes;
  m.linear = linear ? table_rows * value_bytes : 0;
  m.moments = 2 * (m.table + m.linear);
  return m;
}

MemoryPlan plan_training_memory(Ops<float>& backend, const TrainingShape& shape, uint64_t cache_bytes) {
  SizingOps sizing(backend);
  const TrainingObjects o(sizing, shape);
  const EmbeddingTables<float>& t = o.model.tables();
  const UniqueRows<float>& u = t.unique;
  const uint64_t table = t.table.bytes(), linear = t.linear.bytes();
  const uint64_t moments = o.opt.table_m.bytes() + o.opt.table_v.bytes() + o.opt.linear_m.bytes() + o.opt.linear_v.bytes();
  const uint64_t unique = u.rows.bytes() + u.counts.bytes() + u.grad_embed.bytes() + u.grad_linear.bytes();
  const uint64_t rest = sizing.bytes() - table - linear - moments - unique;
  MemoryPlan p;
  auto add = [&](std::string what, uint64_t bytes) {
    if (bytes) p.items.push_back({std::move(what), bytes});
  };
  add(fmt::format("embedding table [{}, {}] fp32", t.rows(), shape.spec.embedding_dim), table);
  add(fmt::format("linear table [{}] fp32", t.rows()), linear);
  add("their Adam moments", moments);
  add(fmt::format("distinct-row gradients of a {}-row batch", shape.max_batch()), unique);
  add("network weights, their Adam moments, activations and batch buffers", rest);
  add("data.cache", cache_bytes);
  return p;
}

void check_memory_plan(const MemoryPlan& plan, const MemoryBudget& budget) {
  if (budget.bytes == 0 || plan.total() <= budget.bytes) return;
  throw Error(fmt::format(
      "the run needs {} but {} allows {}: it would not fit. Needed: {}. To fit, cap the vocabulary "
      "(`ctrtrain preprocess --max-vocab N` keeps each field's N most frequent values, `--min-count N` drops rare "
      "ones), lower model.embedding_dim, lower train.batch_size / train.eval_batch_size, or stream the data with "
      "data.cache: none{}",
      format_bytes(plan.total()), budget.source, format_bytes(budget.bytes), plan.describe(),
      budget.source == "train.memory_limit" ? "; or raise train.memory_limit" : ""));
}

}  // namespace ctr
