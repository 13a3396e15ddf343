// TrainConfig -> fully resolved YAML: every key with its effective value, then the computed `resolved:` section.
#include <filesystem>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/config_value.h"
#include "config/train_config.h"
#include "core/error.h"

namespace ctr {

namespace {

// fmt's shortest round-trip form, so reading the file back gives bit-identical doubles.
std::string num(double v) { return fmt::format("{}", v); }

}  // namespace

std::string config_to_yaml(const TrainConfig& c) {
  YAML::Emitter out;
  auto key = [&](const char* k) -> YAML::Emitter& { return out << YAML::Key << k << YAML::Value; };
  auto section = [&](const char* name) { out << YAML::Key << name << YAML::Value << YAML::BeginMap; };
  auto end = [&] { out << YAML::EndMap; };

  out << YAML::BeginMap;
  key("name") << c.name;
  section("data");
  key("path") << c.data.path;
  key("cache") << to_string(c.data.cache);
  end();

  section("model");
  key("type") << to_string(c.model.type);
  key("embedding_dim") << c.model.embedding_dim;
  key("hidden") << YAML::Flow << YAML::BeginSeq;
  for (int h : c.model.hidden) out << h;
  out << YAML::EndSeq;
  key("cross_layers") << c.model.cross_layers;
  key("cross_l2") << num(c.model.cross_l2);
  end();

  // Values that depend on the machine or the dataset (threads, log_every) stay 0 = automatic,
  // so the file means the same thing when rerun elsewhere.
  section("train");
  key("batch_size") << c.train.batch_size;
  key("epochs") << c.train.epochs;
  key("seed") << c.train.seed;
  key("device") << to_string(c.train.device);
  key("precision") << to_string(c.train.precision);
  key("threads") << c.train.threads;
  if (c.train.threads == 0) out << YAML::Comment("0 = all hardware threads");
  key("drop_last") << c.train.drop_last;
  key("log_every") << c.train.log_every;
  if (c.train.log_every == 0) out << YAML::Comment("0 = about 20 train-loss rows per epoch");
  key("max_steps_per_epoch") << c.train.max_steps_per_epoch;
  if (c.train.max_steps_per_epoch == 0) out << YAML::Comment("0 = the whole train split");
  key("profile") << c.train.profile;
  key("eval_batch_size") << c.train.eval_batch_size;
  if (c.train.eval_batch_size == 0)
    out << YAML::Comment(fmt::format("0 = max(batch_size, 16384) = {}", effective_eval_batch_size(c)));
  key("time_limit_seconds") << num(c.train.time_limit_seconds);
  if (c.train.time_limit_seconds == 0) out << YAML::Comment("0 = no limit");
  end();

  section("optimizer");
  key("lr") << num(c.optimizer.lr);
  key("lr_embed") << num(c.optimizer.lr_embed);
  key("l2") << num(c.optimizer.l2);
  key("beta1") << num(c.optimizer.beta1);
  key("beta2") << num(c.optimizer.beta2);
  key("eps") << num(c.optimizer.eps);
  key("warmup_epochs") << num(c.optimizer.warmup_epochs);
  key("init_stddev") << num(c.optimizer.init_stddev);
  key("embedding_update") << to_string(c.optimizer.embedding_update);
  key("loss_reduction") << to_string(c.optimizer.loss_reduction);
  key("clip_global_norm") << num(c.optimizer.clip_global_norm);
  end();

  section("cowclip");
  key("enabled") << c.cowclip.enabled;
  key("r") << num(c.cowclip.r);
  key("zeta") << num(c.cowclip.zeta);
  key("bound_mode") << to_string(c.cowclip.bound_mode);
  end();

  section("scaling");
  key("rule") << to_string(c.scaling.rule);
  key("base_batch_size") << c.scaling.base_batch_size;
  end();

  section("output");
  // A config built in code may leave dir empty; write the directory the parser would choose.
  key("dir") << (c.output.dir.empty()
                     ? config_detail::resolve_path("runs/" + c.name, std::filesystem::current_path().string())
                     : c.output.dir);
  key("checkpoint") << to_string(c.output.checkpoint);
  end();

  ResolvedHyper h = resolve_scaling(c);
  section("resolved");
  key("scale") << num(h.scale);
  key("lr") << num(h.lr);
  key("lr_embed") << num(h.lr_embed);
  key("l2") << num(h.l2);
  end();
  out << YAML::EndMap;
  CTR_CHECK(out.good(), "YAML emitter failed: {}", out.GetLastError());

  std::string header = fmt::format(
      "# ctrtrain training config{}, fully resolved: defaults filled in, paths absolute.\n"
      "# resolved: lr, lr_embed and l2 at batch_size {} under scaling rule {}; recomputed (ignored) on input.\n",
      c.source.empty() ? "" : " from " + c.source, c.train.batch_size, to_string(c.scaling.rule));
  return header + out.c_str() + "\n";
}

}  // namespace ctr
