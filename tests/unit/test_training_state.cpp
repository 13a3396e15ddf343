// The model description in a training-state checkpoint's header (train/checkpoint_io.h): every
// ModelSpec field survives a save and a read, and a header written before dlrm existed (without
// the keys linear, dot_interaction and bottom) reads as what those files meant: a linear part,
// no interaction, no bottom MLP.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "backend/cpu_ops.h"
#include "checkpoint/checkpoint_file.h"
#include "support/test_util.h"
#include "train/checkpoint_io.h"

using namespace ctr;
using ctr::test::ScratchDir;

namespace {

const std::vector<uint64_t> kVocab = {5, 3, 7};

CheckpointHeader header_for(const ModelSpec& spec) {
  CheckpointHeader h;
  h.ctrtrain_version = "test";
  h.name = "state";
  h.config_yaml = "name: state\n";
  h.data_path = "/data";
  h.seed = 9;
  h.model = spec;
  return h;
}

std::string saved_header_json(const std::string& path, const ModelSpec& spec) {
  CpuOps<float> ops(1);
  CtrModel<float> model(ops, spec, 4);
  model.init(1, 0.01);
  save_checkpoint(path, header_for(spec), ops, model, nullptr);
  return CheckpointReader(path).header_json();
}

}  // namespace

TEST_CASE("training state: the model spec survives a checkpoint header, dlrm's parts included",
          "[unit][checkpoint]") {
  ScratchDir tmp("training_state_spec");
  for (const char* type : {"deepfm", "dcnv2", "dlrm"}) {
    for (size_t nd : {size_t(2), size_t(0)}) {
      CAPTURE(type, nd);
      const ModelSpec spec = ModelSpec::for_type(type, kVocab, nd, 4, {6, 5}, 2, 1e-5, 1e-4, {3});
      const std::string path = tmp / (std::string(type) + std::to_string(nd) + ".ckpt");
      saved_header_json(path, spec);
      const ModelSpec back = read_checkpoint_header(path).model;
      CHECK(back.architecture_difference(spec).empty());
      CHECK(back.linear == spec.linear);
      CHECK(back.dot_interaction == spec.dot_interaction);
      CHECK(back.bottom == spec.bottom);
      CHECK(back.hidden == spec.hidden);
    }
  }
}

TEST_CASE("training state: a header from before dlrm reads with a linear part and no interaction",
          "[unit][checkpoint]") {
  ScratchDir tmp("training_state_old");
  const ModelSpec spec = ModelSpec::for_type("deepfm", kVocab, 2, 4, {6}, 0, 1e-5, 1e-4);
  std::string json = saved_header_json(tmp / "new.ckpt", spec);
  // The keys this version added, removed as an older ctrtrain would have written the header.
  for (const char* key : {"linear", "dot_interaction"})
    json = std::regex_replace(json, std::regex(std::string("\"") + key + "\": *(true|false), *"), "");
  json = std::regex_replace(json, std::regex("\"bottom\": *\\[[^\\]]*\\], *"), "");
  REQUIRE(json.find("\"linear\"") == std::string::npos);
  REQUIRE(json.find("dot_interaction") == std::string::npos);
  REQUIRE(json.find("\"bottom\"") == std::string::npos);
  CheckpointWriter w(tmp / "old.ckpt", json);
  w.commit();
  const ModelSpec back = read_checkpoint_header(tmp / "old.ckpt").model;
  CHECK(back.linear);
  CHECK_FALSE(back.dot_interaction);
  CHECK(back.bottom.empty());
  CHECK(back.same_architecture(spec));
}
