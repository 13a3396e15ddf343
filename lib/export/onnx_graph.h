// OnnxGraph: a small builder of one ONNX model (onnx::ModelProto from Debian's onnx.proto):
// typed inputs and outputs, weights as initializers, nodes with readable output names, and a
// writer that moves large weights to an external data file when the model would not fit in one
// protobuf message (2 GiB).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "onnx/onnx.pb.h"

namespace ctr {

// One node attribute: an int (axis, keepdims) or a list of ints (perm).
struct OnnxAttr {
  std::string name;
  std::vector<int64_t> ints;
  bool is_list = false;
  static OnnxAttr integer(std::string name, int64_t v) { return {std::move(name), {v}, false}; }
  static OnnxAttr list(std::string name, std::vector<int64_t> v) { return {std::move(name), std::move(v), true}; }
};

class OnnxGraph {
 public:
  static constexpr int64_t kOpset = 17;  // the newest opset of Debian's onnx 1.12
  static constexpr int64_t kBatch = -1;  // a dimension given as this is the dynamic batch "N"
  static constexpr uint64_t kInlineWeightBytes = uint64_t(1) << 30;  // protobuf messages stop at 2 GiB
  static constexpr uint64_t kExternalMinBytes = 4096;

  explicit OnnxGraph(const std::string& name);

  // Graph inputs and outputs; elem_type is an onnx::TensorProto_DataType (FLOAT, INT64).
  void add_input(const std::string& name, int elem_type, const std::vector<int64_t>& dims);
  void add_output(const std::string& name, int elem_type, const std::vector<int64_t>& dims, const std::string& doc);
  void set_doc(const std::string& doc);

  // Initializers (weights and constants); each returns the tensor's name.
  std::string add_floats(const std::string& name, const std::vector<int64_t>& dims, const float* data);
  std::string add_int64s(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& data);

  // A node `op` reading `inputs` and writing `output` (a name not used before); returns `output`.
  std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
                   const std::vector<OnnxAttr>& attrs = {});

  uint64_t weight_bytes() const { return weight_bytes_; }
  // Whether write() must move the weights out: model.onnx would pass kInlineWeightBytes.
  bool needs_external_data() const { return weight_bytes_ > kInlineWeightBytes; }
  // Writes DIR/FILE; with external_data, every weight of at least kExternalMinBytes goes to
  // DIR/FILE.data instead. Throws ctr::Error naming the file.
  void write(const std::string& dir, const std::string& file, bool external_data);

 private:
  void claim(const std::string& name);  // every tensor name is defined once
  static void set_shape(onnx::ValueInfoProto* v, int elem_type, const std::vector<int64_t>& dims);
  void move_weights_out(const std::string& dir, const std::string& data_file);

  onnx::ModelProto model_;
  onnx::GraphProto* graph_;
  std::unordered_set<std::string> names_;
  uint64_t weight_bytes_ = 0;
};

}  // namespace ctr
