// TrainConfig -> fully resolved YAML: every key with its effective value, then the computed `resolved:` section.
#include <filesystem>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/config_value.h"
#include "config/train_config.h"
#include "core/byte_size.h"
#include "core/error.h"

namespace ctr {

namespace {

// fmt's shortest round-trip form, so reading the file back gives bit-identical doubles.
std::string num(double v) { return fmt::format("{}", v); }

// A YAML map of sections; a comment follows the value of the key it explains, on that key's line.
class YamlSections {
 public:
  YAML::Emitter& key(const char* k) { return out_ << YAML::Key << k << YAML::Value; }
  void comment_if(bool when, const std::string& text) {
    if (when) out_ << YAML::Comment(text);
  }
  void begin(const char* name) { out_ << YAML::Key << name << YAML::Value << YAML::BeginMap; }
  void end() { out_ << YAML::EndMap; }
  YAML::Emitter& emitter() { return out_; }

 private:
  YAML::Emitter out_;
};

void write_model(YamlSections& y, const ModelConfig& m) {
  y.begin("model");
  y.key("type") << to_string(m.type);
  y.key("embedding_dim") << m.embedding_dim;
  y.key("hidden") << YAML::Flow << YAML::BeginSeq;
  for (int h : m.hidden) y.emitter() << h;
  y.emitter() << YAML::EndSeq;
  y.key("cross_layers") << m.cross_layers;
  y.key("bottom_hidden") << YAML::Flow << YAML::BeginSeq;
  for (int h : m.bottom_hidden) y.emitter() << h;
  y.emitter() << YAML::EndSeq;
  y.key("cross_l2") << num(m.cross_l2);
  y.end();
}

// Values that depend on the machine or the dataset (threads, log_every) stay 0 = automatic, so
// the file means the same thing when rerun elsewhere.
void write_train(YamlSections& y, const TrainConfig& c) {
  const TrainSection& t = c.train;
  y.begin("train");
  y.key("batch_size") << t.batch_size;
  y.key("epochs") << t.epochs;
  y.key("seed") << t.seed;
  y.key("device") << to_string(t.device);
  y.key("precision") << to_string(t.precision);
  y.key("threads") << t.threads;
  y.comment_if(t.threads == 0, "0 = all hardware threads");
  y.key("drop_last") << t.drop_last;
  y.key("log_every") << t.log_every;
  y.comment_if(t.log_every == 0, "0 = about 20 train-loss rows per epoch");
  y.key("max_steps_per_epoch") << t.max_steps_per_epoch;
  y.comment_if(t.max_steps_per_epoch == 0, "0 = the whole train split");
  y.key("profile") << t.profile;
  y.key("eval_batch_size") << t.eval_batch_size;
  y.comment_if(t.eval_batch_size == 0, fmt::format("0 = max(batch_size, 16384) = {}", effective_eval_batch_size(c)));
  y.key("time_limit_seconds") << num(t.time_limit_seconds);
  y.comment_if(t.time_limit_seconds == 0, "0 = no limit");
  y.key("memory_limit") << t.memory_limit;
  y.comment_if(true, t.memory_limit == 0 ? std::string("0 = what the backend has free") : format_bytes(t.memory_limit));
  y.key("eval_every_steps") << t.eval_every_steps;
  y.comment_if(t.eval_every_steps == 0, "0 = at each epoch's end only");
  const EarlyStoppingConfig& es = t.early_stopping;
  if (es.enabled) {
    y.key("early_stopping") << YAML::Flow << YAML::BeginMap << YAML::Key << "metric" << YAML::Value
                            << to_string(es.metric) << YAML::Key << "patience" << YAML::Value << es.patience
                            << YAML::Key << "min_delta" << YAML::Value << num(es.min_delta) << YAML::EndMap;
  } else {
    y.key("early_stopping") << "none";
  }
  y.key("init_from") << t.init_from;
  y.comment_if(t.init_from.empty(), "empty = fresh weights");
  y.end();
}

void write_optimizer(YamlSections& y, const OptimizerConfig& o) {
  y.begin("optimizer");
  y.key("lr") << num(o.lr);
  y.key("lr_embed") << num(o.lr_embed);
  y.key("l2") << num(o.l2);
  y.key("beta1") << num(o.beta1);
  y.key("beta2") << num(o.beta2);
  y.key("eps") << num(o.eps);
  y.key("warmup_epochs") << num(o.warmup_epochs);
  y.key("init_stddev") << num(o.init_stddev);
  y.key("embedding_update") << to_string(o.embedding_update);
  y.key("loss_reduction") << to_string(o.loss_reduction);
  y.key("clip_global_norm") << num(o.clip_global_norm);
  y.end();
}

void write_cowclip_and_scaling(YamlSections& y, const TrainConfig& c) {
  y.begin("cowclip");
  y.key("enabled") << c.cowclip.enabled;
  y.key("r") << num(c.cowclip.r);
  y.key("zeta") << num(c.cowclip.zeta);
  y.key("bound_mode") << to_string(c.cowclip.bound_mode);
  y.end();
  y.begin("scaling");
  y.key("rule") << to_string(c.scaling.rule);
  y.key("base_batch_size") << c.scaling.base_batch_size;
  y.end();
}

void write_output_and_resolved(YamlSections& y, const TrainConfig& c) {
  y.begin("output");
  // A config built in code may leave dir empty; write the directory the parser would choose.
  y.key("dir") << (c.output.dir.empty()
                       ? config_detail::resolve_path("runs/" + c.name, std::filesystem::current_path().string())
                       : c.output.dir);
  y.key("checkpoint") << to_string(c.output.checkpoint);
  y.end();
  const ResolvedHyper h = resolve_scaling(c);
  y.begin("resolved");
  y.key("scale") << num(h.scale);
  y.key("lr") << num(h.lr);
  y.key("lr_embed") << num(h.lr_embed);
  y.key("l2") << num(h.l2);
  y.end();
}

}  // namespace

std::string config_to_yaml(const TrainConfig& c) {
  YamlSections y;
  y.emitter() << YAML::BeginMap;
  y.key("name") << c.name;
  y.begin("data");
  y.key("path") << c.data.path;
  y.key("cache") << to_string(c.data.cache);
  y.key("valid_path") << c.data.valid_path;
  y.key("test_path") << c.data.test_path;
  y.end();
  write_model(y, c.model);
  write_train(y, c);
  write_optimizer(y, c.optimizer);
  write_cowclip_and_scaling(y, c);
  y.begin("eval");
  y.key("group_by") << c.eval.group_by;
  y.comment_if(c.eval.group_by.empty(), "empty = no gAUC");
  y.end();
  write_output_and_resolved(y, c);
  y.emitter() << YAML::EndMap;
  CTR_CHECK(y.emitter().good(), "YAML emitter failed: {}", y.emitter().GetLastError());
  std::string header = fmt::format(
      "# ctrtrain training config{}, fully resolved: defaults filled in, paths absolute.\n"
      "# resolved: lr, lr_embed and l2 at batch_size {} under scaling rule {}; recomputed (ignored) on input.\n",
      c.source.empty() ? "" : " from " + c.source, c.train.batch_size, to_string(c.scaling.rule));
  return header + y.emitter().c_str() + "\n";
}

}  // namespace ctr
