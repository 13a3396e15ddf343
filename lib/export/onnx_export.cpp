// The model of a checkpoint as an ONNX graph, one function per model part (docs/models.md), and
// the serving directory around it (see onnx_export.h).
#include "export/onnx_export.h"

#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backend/interaction_math.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "dataset/dataset_meta.h"
#include "export/onnx_graph.h"
#include "export/serving_files.h"
#include "train/backend_select.h"
#include "train/checkpoint_io.h"

namespace ctr {
namespace {

using Dims = std::vector<int64_t>;
constexpr int kFloat = onnx::TensorProto_DataType_FLOAT;
constexpr int kInt64 = onnx::TensorProto_DataType_INT64;
constexpr int64_t kB = OnnxGraph::kBatch;
constexpr const char* kModelFile = "model.onnx";

int64_t dim(size_t n) { return static_cast<int64_t>(n); }

// A checkpoint's weights in a CPU model, added to the graph one array at a time (so an array is
// on the host three times at most, in the model, a download buffer and the graph, and only while
// it is added).
class CheckpointWeights {
 public:
  CheckpointWeights(const std::string& checkpoint, const ModelSpec& spec)
      : ops_(make_backend({DeviceChoice::cpu, 1, Precision::fp32})), model_(*ops_, spec, 1) {
    load_checkpoint_state(checkpoint, *ops_, model_, nullptr);
  }
  // Adds array `name` as an initializer of shape `dims` (its size must match); returns its name.
  std::string add(OnnxGraph& g, const std::string& name, const Dims& dims) {
    for (NamedArray<float>& a : model_.weights()) {
      if (a.name != name) continue;
      int64_t n = 1;
      for (int64_t d : dims) n *= d;
      CTR_CHECK(static_cast<size_t>(n) == a.buffer->size(), "array {} has {} values, not {}", name, a.buffer->size(),
                n);
      std::vector<float> host(a.buffer->size());
      a.buffer->download(host.data(), host.size());
      return g.add_floats(name, dims, host.data());
    }
    CTR_CHECK(false, "the model has no array '{}'", name);
    return "";
  }

 private:
  std::unique_ptr<Ops<float>> ops_;
  CtrModel<float> model_;
};

// Builds the forward pass of CtrModel::forward as ONNX nodes. Every per-sample scalar is kept as
// [N, 1] until the outputs.
class ModelGraph {
 public:
  ModelGraph(OnnxGraph& g, const ModelSpec& s, CheckpointWeights& w) : g_(g), s_(s), w_(w) {}
  void build();

 private:
  std::string rows();
  std::string linear_logit(const std::string& rows);
  std::string fm_logit(const std::string& e);
  std::string x0(const std::string& e);
  std::string mlp(const std::string& in, const std::string& prefix, const std::vector<size_t>& widths, size_t in_width);
  std::string cross(const std::string& x0, size_t k0);
  std::string head(const std::string& in, const std::string& kernel, size_t width);
  std::string dlrm_interaction(const std::string& e);
  size_t fields() const { return s_.vocab_sizes.size(); }
  uint64_t table_rows() const { return field_row_offsets(s_.vocab_sizes).back(); }
  // dlrm: the interaction's vectors (the bottom output, when there is one, and the F embeddings).
  size_t vectors() const { return fields() + (s_.bottom.empty() ? 0 : 1); }

  OnnxGraph& g_;
  const ModelSpec& s_;
  CheckpointWeights& w_;
  std::string axis1_;  // the int64 [1] constant {1}: ReduceSum's and Squeeze's axes
};

// Table rows of each (sample, field): ids + the field's first row (EmbeddingTables' offsets).
std::string ModelGraph::rows() {
  const std::vector<uint64_t> off = field_row_offsets(s_.vocab_sizes);
  return g_.node("Add", {"ids", g_.add_int64s("field_offsets", {dim(fields())}, Dims(off.begin(), off.end() - 1))},
                 "rows");
}

// sum_f lin[rows] + dense . w_dense  -> [N, 1]
std::string ModelGraph::linear_logit(const std::string& rows) {
  const std::string lin = w_.add(g_, "table.linear", {dim(table_rows())});
  const std::string per_field = g_.node("Gather", {lin, rows}, "linear/per_field");
  std::string out = g_.node("ReduceSum", {per_field, axis1_}, "linear/ids", {OnnxAttr::integer("keepdims", 1)});
  if (s_.num_dense == 0) return out;
  const std::string k = w_.add(g_, "linear.dense_kernel", {dim(s_.num_dense), 1});
  return g_.node("Add", {out, g_.node("MatMul", {"dense", k}, "linear/dense")}, "linear/logit");
}

// 0.5 * sum_d ((sum_f e)^2 - sum_f e^2)  -> [N, 1]
std::string ModelGraph::fm_logit(const std::string& e) {
  const OnnxAttr drop = OnnxAttr::integer("keepdims", 0);
  const std::string sum = g_.node("ReduceSum", {e, axis1_}, "fm/sum", {drop});
  const std::string sum_sq = g_.node("ReduceSum", {g_.node("Mul", {e, e}, "fm/squares"), axis1_}, "fm/sum_sq", {drop});
  const std::string diff = g_.node("Sub", {g_.node("Mul", {sum, sum}, "fm/square_of_sum"), sum_sq}, "fm/diff");
  const std::string total = g_.node("ReduceSum", {diff, axis1_}, "fm/total", {OnnxAttr::integer("keepdims", 1)});
  const float half = 0.5f;
  return g_.node("Mul", {total, g_.add_floats("fm/half", {1}, &half)}, "fm/logit");
}

// concat(flattened field embeddings [F*D], dense values [Nd])  -> [N, K0]
std::string ModelGraph::x0(const std::string& e) {
  const std::string flat = g_.node("Flatten", {e}, "x0/embeddings", {OnnxAttr::integer("axis", 1)});
  if (s_.num_dense == 0) return flat;
  return g_.node("Concat", {flat, "dense"}, "x0", {OnnxAttr::integer("axis", 1)});
}

// relu(h W_k + b_k) per layer, parameters PREFIX.K.kernel / .bias (model/mlp.h).
std::string ModelGraph::mlp(const std::string& in, const std::string& prefix, const std::vector<size_t>& widths,
                            size_t in_width) {
  std::string h = in;
  for (size_t i = 0; i < widths.size(); ++i) {
    const std::string p = fmt::format("{}.{}", prefix, i);
    const std::string z = g_.node("MatMul", {h, w_.add(g_, p + ".kernel", {dim(in_width), dim(widths[i])})}, p + "/xw");
    const std::string zb = g_.node("Add", {z, w_.add(g_, p + ".bias", {dim(widths[i])})}, p + "/z");
    h = g_.node("Relu", {zb}, p + "/h");
    in_width = widths[i];
  }
  return h;
}

// DCN: x_{l+1} = x0 * (x_l . w_l) + b_l + x_l;  DCNv2: x_{l+1} = x0 * (x_l W_l + b_l) + x_l
std::string ModelGraph::cross(const std::string& x0, size_t k0) {
  std::string x = x0;
  for (size_t l = 0; l < s_.cross_layers; ++l) {
    const std::string p = fmt::format("cross.{}", l);
    const std::string bias = w_.add(g_, p + ".bias", {dim(k0)});
    std::string t;
    if (s_.cross == CrossKind::dcn) {
      const std::string dot = g_.node("MatMul", {x, w_.add(g_, p + ".kernel", {dim(k0), 1})}, p + "/dot");
      t = g_.node("Add", {g_.node("Mul", {x0, dot}, p + "/x0_dot"), bias}, p + "/t");
    } else {
      const std::string xw = g_.node("MatMul", {x, w_.add(g_, p + ".kernel", {dim(k0), dim(k0)})}, p + "/xw");
      t = g_.node("Mul", {x0, g_.node("Add", {xw, bias}, p + "/u")}, p + "/t");
    }
    x = g_.node("Add", {t, x}, p + "/x");
  }
  return x;
}

// Dense(1, no bias) over one input part: [N, width] x [width, 1]  -> [N, 1]
std::string ModelGraph::head(const std::string& in, const std::string& kernel, size_t width) {
  return g_.node("MatMul", {in, w_.add(g_, kernel, {dim(width), 1})}, kernel + "/logit");
}

// DLRM: concat(z_0, z_i . z_j for i > j in the order (1,0), (2,0), (2,1), ...) over z_0 = bottom
// MLP(dense) (or, without dense values, the first field's embedding) and the field embeddings.
std::string ModelGraph::dlrm_interaction(const std::string& e) {
  std::string z0, z;
  if (!s_.bottom.empty()) {
    z0 = mlp("dense", "bottom_mlp", s_.bottom, s_.num_dense);
    const std::string z0v = g_.node("Unsqueeze", {z0, axis1_}, "dlrm/z0_vector");
    z = g_.node("Concat", {z0v, e}, "dlrm/vectors", {OnnxAttr::integer("axis", 1)});
  } else {
    z0 = g_.node("Gather", {e, g_.add_int64s("dlrm/first", {}, {0})}, "dlrm/z0", {OnnxAttr::integer("axis", 1)});
    z = e;
  }
  const size_t n = vectors();
  const std::string zt = g_.node("Transpose", {z}, "dlrm/vectors_t", {OnnxAttr::list("perm", {0, 2, 1})});
  const std::string dots = g_.node("MatMul", {z, zt}, "dlrm/dots");  // [N, n, n]
  const std::string flat = g_.node("Flatten", {dots}, "dlrm/dots_flat", {OnnxAttr::integer("axis", 1)});
  Dims lower;  // interaction_pair_index order: row i, then j < i
  for (size_t i = 1; i < n; ++i)
    for (size_t j = 0; j < i; ++j) lower.push_back(dim(i * n + j));
  const std::string pairs_idx = g_.add_int64s("dlrm/pair_columns", {dim(lower.size())}, lower);
  const std::string pairs = g_.node("Gather", {flat, pairs_idx}, "dlrm/pairs", {OnnxAttr::integer("axis", 1)});
  return g_.node("Concat", {z0, pairs}, "dlrm/interaction", {OnnxAttr::integer("axis", 1)});
}

void ModelGraph::build() {
  const size_t f = fields(), d = s_.embedding_dim;
  g_.add_input("ids", kInt64, {kB, dim(f)});
  if (s_.num_dense) g_.add_input("dense", kFloat, {kB, dim(s_.num_dense)});
  axis1_ = g_.add_int64s("axis_1", {1}, {1});
  const std::string r = rows();
  std::vector<std::string> terms;
  if (s_.linear) terms.push_back(linear_logit(r));
  if (s_.uses_embeddings()) {
    const std::string table = w_.add(g_, "table.embedding", {dim(table_rows()), dim(d)});
    const std::string e = g_.node("Gather", {table, r}, "embeddings");  // [N, F, D]
    if (s_.fm) terms.push_back(fm_logit(e));
    const size_t k0 = f * d + s_.num_dense;
    const std::string dnn_in = s_.dlrm() ? dlrm_interaction(e) : x0(e);
    const size_t dnn_width = s_.dlrm() ? d + interaction_pairs(vectors()) : k0;
    if (s_.cross != CrossKind::none) terms.push_back(head(cross(dnn_in, k0), "head.cross_kernel", k0));
    if (!s_.hidden.empty())
      terms.push_back(head(mlp(dnn_in, "mlp", s_.hidden, dnn_width), "head.dnn_kernel", s_.hidden.back()));
  }
  std::string logit = terms.at(0);
  for (size_t i = 1; i < terms.size(); ++i) logit = g_.node("Add", {logit, terms[i]}, fmt::format("logit/sum{}", i));
  logit = g_.node("Add", {logit, w_.add(g_, "output.bias", {1})}, "logit/biased");
  g_.node("Squeeze", {logit, axis1_}, "logit");
  g_.node("Sigmoid", {"logit"}, "probability");
  g_.add_output("probability", kFloat, {kB}, "click probability, sigmoid(logit)");
  g_.add_output("logit", kFloat, {kB}, "the model's logit");
}

// The dataset the checkpoint was trained on: its meta.json and vocabulary describe the inputs.
DatasetMeta checkpoint_dataset(const CheckpointHeader& h, const std::string& checkpoint) {
  DatasetMeta meta;
  try {
    meta = read_meta(h.data_path);
  } catch (const Error& e) {
    throw Error(
        fmt::format("{}: cannot read the dataset it was trained on, whose vocabulary and dense statistics "
                    "an export copies: {}",
                    checkpoint, e.what()));
  }
  if (meta.vocab_sizes != h.model.vocab_sizes || meta.dense_fields.size() != h.model.num_dense)
    throw Error(
        fmt::format("{}: the dataset at {} no longer matches the checkpoint ({} vs {} fields, {} vs {} dense "
                    "values): it was re-made after training",
                    checkpoint, h.data_path, meta.vocab_sizes.size(), h.model.vocab_sizes.size(),
                    meta.dense_fields.size(), h.model.num_dense));
  return meta;
}

void check_options(const ExportOptions& o) {
  if (o.format != "onnx") throw UsageError(fmt::format("--format {}: unknown export format (expected onnx)", o.format));
  if (o.output.empty()) throw UsageError("--output: give the serving directory to create");
  if (!std::filesystem::is_regular_file(o.checkpoint))
    throw UsageError(
        fmt::format("--checkpoint {}: no such file (a run directory holds checkpoint.ckpt)", o.checkpoint));
}

// The output directory, built under a temporary name; a path that cannot be made is named as --output.
std::unique_ptr<StagingDir> open_output(const ExportOptions& o) {
  try {
    return std::make_unique<StagingDir>(o.output, o.force);
  } catch (const UsageError&) {
    throw;  // it exists and --force is not given: the message says so
  } catch (const Error& e) {
    throw Error(fmt::format("--output {}: cannot create the serving directory ({})", o.output, e.what()));
  }
}

}  // namespace

ExportResult export_checkpoint(const ExportOptions& o) {
  check_options(o);
  const CheckpointHeader h = read_checkpoint_header(o.checkpoint);
  const DatasetMeta meta = checkpoint_dataset(h, o.checkpoint);
  const std::unique_ptr<StagingDir> staging = open_output(o);
  StagingDir& out = *staging;
  spdlog::info("export: {} model '{}' from {} (dataset {}) to {}", h.model.type, h.name, o.checkpoint, h.data_path,
               out.final_path());
  OnnxGraph g("ctrtrain_" + h.model.type);
  g.set_doc(fmt::format("ctrtrain {} model '{}', exported from {}", h.model.type, h.name, o.checkpoint));
  {
    CheckpointWeights weights(o.checkpoint, h.model);
    ModelGraph(g, h.model, weights).build();
  }
  ExportResult r{out.final_path(), g.weight_bytes(), o.external_data || g.needs_external_data()};
  g.write(out.path(), kModelFile, r.external_data);
  write_serving_vocab(h.data_path, meta, out.path());
  ServingModelInfo info;
  info.model_type = h.model.type;
  info.checkpoint = std::filesystem::absolute(o.checkpoint).lexically_normal().string();
  info.model_file = kModelFile;
  info.external_data = r.external_data ? std::string(kModelFile) + ".data" : "";
  info.has_dense_input = h.model.num_dense > 0;
  write_text_file((std::filesystem::path(out.path()) / "features.json").string(), serving_features_json(meta, info));
  out.commit();
  spdlog::info("export: wrote {} ({:.3g} MB of weights{}), features.json and {} vocabulary files", kModelFile,
               r.weight_bytes / 1e6, r.external_data ? " in model.onnx.data" : "", meta.cat_fields.size());
  return r;
}

}  // namespace ctr
