// CtrModel: the CTR models as one composition of parts (docs/models.md; docs/cowclip.md section 6):
//
//   logit = bias [+ linear(sparse ids, dense)] [+ FM(embeddings)] [+ head(DNN(in) ‖ Cross(x0))]
//   x0    = concat(flattened field embeddings [F*D], dense values [Nd]);  in = x0
//   dlrm:   x0 = concat(bottom MLP(dense) [D], field embeddings [F*D]);  in = dot interaction(x0)
//
//   lr      linear                     wdl     linear + DNN
//   fm      linear + FM                deepfm  linear + FM + DNN
//   dcn     linear + head(cross ‖ DNN) with vector cross layers
//   dcnv2   linear + head(cross ‖ DNN) with full-rank matrix cross layers
//   dlrm    head(DNN) over the bottom output and the pairwise dots of all F+1 vectors (Naumov et al. 2019)
// The head is one Dense(1, no bias) over the concatenation, stored as one kernel per input part;
// the DNN is DLRM's top MLP, whose last layer is the head.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/cross_net.h"
#include "model/embedding_tables.h"
#include "model/mlp.h"

namespace ctr {

struct ModelSpec {
  std::string type;                    // lr | fm | wdl | deepfm | dcn | dcnv2 | dlrm, for reports and checkpoints
  std::vector<uint64_t> vocab_sizes;   // per categorical field
  size_t num_dense = 0;
  size_t embedding_dim = 10;
  bool linear = true;                  // the linear ("wide") logit: linear table and dense-value kernel
  bool fm = false;
  std::vector<size_t> hidden;          // DNN widths (dlrm: the top MLP); empty = no DNN
  bool dot_interaction = false;        // dlrm: the top MLP reads the pairwise dots of x0's vectors
  std::vector<size_t> bottom;          // dlrm with dense values: bottom MLP widths, the last = embedding_dim
  CrossKind cross = CrossKind::none;
  size_t cross_layers = 0;
  double cross_l2 = 1e-5;              // lambda on cross kernels (fixed, not scaled)
  double dense_l2 = 0;                 // lambda on the linear kernel of the dense values (the resolved l2)

  bool uses_embeddings() const { return fm || !hidden.empty() || cross != CrossKind::none || dlrm(); }
  bool dlrm() const { return dot_interaction; }
  // Whether weights of `o` fit this model array for array (a checkpoint resumed with this spec):
  // the same type, vocabulary, dense width, dims and layers. The L2 strengths may differ: they
  // shape updates, not arrays.
  bool same_architecture(const ModelSpec& o) const { return architecture_difference(o).empty(); }
  // The first part in which they differ, "embedding_dim 10 vs 16"; empty when none does.
  std::string architecture_difference(const ModelSpec& o) const;
  // The parts of a named model type; throws UsageError for an unknown name. bottom_hidden: dlrm's
  // bottom MLP widths before its last layer, which has embedding_dim units; without dense values
  // dlrm has no bottom MLP (its input would be empty, its output a constant that cannot learn).
  static ModelSpec for_type(const std::string& type, std::vector<uint64_t> vocab_sizes, size_t num_dense,
                            size_t embedding_dim, const std::vector<size_t>& hidden, size_t cross_layers,
                            double cross_l2, double dense_l2, const std::vector<size_t>& bottom_hidden = {});
};

template <class T>
class CtrModel {
 public:
  CtrModel(Ops<T>& ops, const ModelSpec& spec, size_t max_batch);
  const ModelSpec& spec() const { return spec_; }
  size_t max_batch() const { return max_batch_; }
  // Host-side initialisation from the seed (identical on every backend).
  void init(uint64_t seed, double init_stddev);

  // logits() [B] for the batch.
  void forward(const DeviceBatch<T>& batch);
  const T* logits() const { return logits_.data(); }
  // dlogits [B]: gradient of the loss with respect to the logits. Sets every dense parameter's g
  // and tables().unique (the batch's distinct rows and their summed gradients).
  void backward(const DeviceBatch<T>& batch, const T* dlogits);

  ParamList<T>& params() { return params_; }
  const ParamList<T>& params() const { return params_; }
  EmbeddingTables<T>& tables() { return tables_; }
  const EmbeddingTables<T>& tables() const { return tables_; }
  size_t parameter_count() const;
  // Every weight array by name: the d-dim table (when the model has one), the linear table, then
  // the dense parameters in order. What checkpoints store, and what optimizer state is named after.
  std::vector<NamedArray<T>> weights();

 private:
  size_t x0_width() const {
    return tables_.fields() * spec_.embedding_dim + (spec_.dlrm() ? embedding_column() : spec_.num_dense);
  }
  // The first x0 column of the field embeddings (dlrm puts the bottom output before them).
  size_t embedding_column() const { return spec_.bottom.empty() ? 0 : spec_.embedding_dim; }
  // dlrm: the vectors of the interaction, the bottom output (when there is one) and the F embeddings.
  size_t interaction_vectors() const { return tables_.fields() + (spec_.bottom.empty() ? 0 : 1); }
  // A row stride of `width` values rounded up to 4 floats, so each row starts 16-byte aligned for
  // the GEMM of the DNN layer that reads it (cuBLAS loads aligned rows in vectors; 273 is odd).
  // Padding columns are never written and never read.
  static size_t aligned_row_width(size_t width) { return (width + 3) / 4 * 4; }
  // Row stride of x0 and dx0. A cross network reads x0 as dense [B, K0] rows (its ops take no
  // stride), so with one the stride stays K0.
  size_t x0_stride() const { return spec_.cross != CrossKind::none ? x0_width() : aligned_row_width(x0_width()); }
  // The rows the DNN reads: x0, or for dlrm the interaction's output.
  const T* dnn_input() const { return spec_.dlrm() ? top_in_.data() : x0_.data(); }
  size_t dnn_input_stride() const { return spec_.dlrm() ? top_in_stride_ : x0_stride(); }
  void linear_forward(const DeviceBatch<T>& batch);
  void dlrm_forward(const DeviceBatch<T>& batch);
  void dlrm_backward(const DeviceBatch<T>& batch);
  void head_forward(const T* in, size_t width, const NetworkParam<T>& w, size_t batch);
  void head_backward(const T* in, size_t width, NetworkParam<T>& w, const T* dlogits, size_t batch, T* din);

  Ops<T>& ops_;
  ModelSpec spec_;
  size_t max_batch_;
  ParamList<T> params_;
  EmbeddingTables<T> tables_;
  NetworkParam<T>* bias_;          // [1] the output bias
  NetworkParam<T>* dense_kernel_ = nullptr;  // [Nd] the linear part's weight on dense values
  std::unique_ptr<Mlp<T>> mlp_;
  std::unique_ptr<CrossNet<T>> cross_;
  NetworkParam<T>* head_dnn_ = nullptr;    // [H_last]
  NetworkParam<T>* head_cross_ = nullptr;  // [K0]
  Buffer<T> x0_, dx0_;                   // [max_batch, x0_stride()], the first K0 columns in use
  Buffer<T> logits_, fm_out_;            // [max_batch]
  Buffer<T> d_dnn_out_, d_cross_out_;    // [max_batch, H_last], [max_batch, K0]
  std::unique_ptr<Mlp<T>> bottom_;       // dlrm with dense values: [Nd] -> [D]
  size_t top_in_stride_ = 0;             // dlrm: aligned_row_width(D + n(n-1)/2) for n vectors
  Buffer<T> top_in_, d_top_in_;          // dlrm: [max_batch, top_in_stride_], the interaction's output
};

}  // namespace ctr
