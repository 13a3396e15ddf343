// OnnxGraph: building and writing one ONNX model (see onnx_graph.h).
#include "export/onnx_graph.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/error.h"
#include "ctr/version.h"

namespace ctr {

OnnxGraph::OnnxGraph(const std::string& name) {
  model_.set_ir_version(onnx::IR_VERSION);  // 8, what Debian's onnx 1.12 writes
  model_.set_producer_name("ctrtrain");
  model_.set_producer_version(CTR_VERSION);
  onnx::OperatorSetIdProto* opset = model_.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  graph_ = model_.mutable_graph();
  graph_->set_name(name);
}

void OnnxGraph::set_doc(const std::string& doc) { model_.set_doc_string(doc); }

void OnnxGraph::claim(const std::string& name) {
  CTR_CHECK(names_.insert(name).second, "ONNX tensor name '{}' defined twice", name);
}

void OnnxGraph::set_shape(onnx::ValueInfoProto* v, int elem_type, const std::vector<int64_t>& dims) {
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  onnx::TensorShapeProto* shape = t->mutable_shape();
  for (int64_t d : dims) {
    if (d == kBatch)
      shape->add_dim()->set_dim_param("N");
    else
      shape->add_dim()->set_dim_value(d);
  }
}

void OnnxGraph::add_input(const std::string& name, int elem_type, const std::vector<int64_t>& dims) {
  claim(name);
  onnx::ValueInfoProto* v = graph_->add_input();
  v->set_name(name);
  set_shape(v, elem_type, dims);
}

void OnnxGraph::add_output(const std::string& name, int elem_type, const std::vector<int64_t>& dims,
                           const std::string& doc) {
  CTR_CHECK(names_.count(name), "ONNX output '{}' is not computed by any node", name);
  onnx::ValueInfoProto* v = graph_->add_output();
  v->set_name(name);
  v->set_doc_string(doc);
  set_shape(v, elem_type, dims);
}

std::string OnnxGraph::add_floats(const std::string& name, const std::vector<int64_t>& dims, const float* data) {
  claim(name);
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto_DataType_FLOAT);
  size_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= static_cast<size_t>(d);
  }
  // raw_data is little-endian IEEE floats, which is how x86-64 holds them.
  t->set_raw_data(data, n * sizeof(float));
  weight_bytes_ += n * sizeof(float);
  return name;
}

std::string OnnxGraph::add_int64s(const std::string& name, const std::vector<int64_t>& dims,
                                  const std::vector<int64_t>& data) {
  claim(name);
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto_DataType_INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : data) t->add_int64_data(v);
  return name;
}

std::string OnnxGraph::node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
                            const std::vector<OnnxAttr>& attrs) {
  for (const std::string& in : inputs) CTR_CHECK(names_.count(in), "ONNX node {} reads undefined '{}'", op, in);
  claim(output);
  onnx::NodeProto* n = graph_->add_node();
  n->set_op_type(op);
  n->set_name(output);
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(output);
  for (const OnnxAttr& a : attrs) {
    onnx::AttributeProto* p = n->add_attribute();
    p->set_name(a.name);
    if (a.is_list) {
      p->set_type(onnx::AttributeProto_AttributeType_INTS);
      for (int64_t v : a.ints) p->add_ints(v);
    } else {
      p->set_type(onnx::AttributeProto_AttributeType_INT);
      p->set_i(a.ints.at(0));
    }
  }
  return output;
}

// Every weight of at least kExternalMinBytes goes to DIR/DATA_FILE at a 4 KiB-aligned offset (so
// a runtime can map it), and its initializer keeps only the location (ONNX external data).
void OnnxGraph::move_weights_out(const std::string& dir, const std::string& data_file) {
  const std::string path = (std::filesystem::path(dir) / data_file).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(fmt::format("{}: cannot create the ONNX external data file", path));
  uint64_t offset = 0;
  for (onnx::TensorProto& t : *graph_->mutable_initializer()) {
    if (!t.has_raw_data() || t.raw_data().size() < kExternalMinBytes) continue;
    const uint64_t aligned = (offset + 4095) / 4096 * 4096;
    const std::string pad(aligned - offset, '\0');
    out.write(pad.data(), static_cast<std::streamsize>(pad.size()));
    out.write(t.raw_data().data(), static_cast<std::streamsize>(t.raw_data().size()));
    const uint64_t length = t.raw_data().size();
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
    const std::pair<const char*, std::string> entries[] = {
        {"location", data_file}, {"offset", std::to_string(aligned)}, {"length", std::to_string(length)}};
    for (const auto& [key, value] : entries) {
      onnx::StringStringEntryProto* e = t.add_external_data();
      e->set_key(key);
      e->set_value(value);
    }
    offset = aligned + length;
  }
  out.close();
  if (!out) throw Error(fmt::format("{}: writing the ONNX external data failed (disk full?)", path));
}

void OnnxGraph::write(const std::string& dir, const std::string& file, bool external_data) {
  CTR_CHECK(external_data || !needs_external_data(), "{} bytes of weights do not fit in one ONNX file", weight_bytes_);
  if (external_data) move_weights_out(dir, file + ".data");
  const std::string path = (std::filesystem::path(dir) / file).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(fmt::format("{}: cannot create the ONNX model file", path));
  if (!model_.SerializeToOstream(&out)) throw Error(fmt::format("{}: serialising the ONNX model failed", path));
  out.close();
  if (!out) throw Error(fmt::format("{}: writing the ONNX model failed (disk full?)", path));
}

}  // namespace ctr
