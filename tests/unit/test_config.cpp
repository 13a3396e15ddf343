// Unit tests for the training config: defaults, parsing, every error message, scaling rules,
// the resolved-YAML round trip, --set overrides and path resolution.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "config/key_suggest.h"
#include "config/scaling.h"
#include "config/train_config.h"
#include "core/error.h"
#include "support/test_util.h"

using namespace ctr;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

const char* kExample = R"(name: criteo_deepfm_128k
data:      {path: data/criteo}
model:     {type: deepfm, embedding_dim: 10, hidden: [400, 400, 400], cross_layers: 3}
train:     {batch_size: 131072, epochs: 10, seed: 1234, device: auto, threads: 0, drop_last: false}
optimizer: {lr: 8e-4, lr_embed: 1e-4, l2: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-7,
            warmup_epochs: 1, init_stddev: 1e-2, embedding_update: all_rows}
cowclip:   {enabled: true, r: 1.0, zeta: 1e-5, bound_mode: code}
scaling:   {rule: cowclip, base_batch_size: 1024}
output:    {dir: runs/criteo_deepfm_128k, checkpoint: epoch}
)";

TrainConfig parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_config_text(text, "cfg.yaml", "/base", overrides);
}

// The message of the UsageError that parsing `text` must raise.
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse(text, overrides);
  } catch (const UsageError& e) {
    CHECK(e.exit_code() == 2);
    return e.what();
  }
  FAIL("expected a UsageError for:\n" << text);
  return "";
}

std::string cwd_join(const std::string& rel) { return (fs::current_path() / rel).lexically_normal().string(); }

}  // namespace

TEST_CASE("config defaults are the documented values", "[config]") {
  TrainConfig d;
  CHECK(d.model.type == ModelType::deepfm);
  CHECK(d.model.embedding_dim == 10);
  CHECK(d.model.hidden == std::vector<int>{400, 400, 400});
  CHECK(d.train.batch_size == 1024);
  CHECK(d.train.device == DeviceChoice::automatic);
  CHECK(d.optimizer.lr == 8e-4);
  CHECK(d.optimizer.lr_embed == 1e-4);
  CHECK(d.cowclip.enabled);
  CHECK(d.scaling.rule == ScalingRule::cowclip);
  CHECK(d.output.checkpoint == CheckpointPolicy::epoch);
  CHECK(effective_eval_batch_size(d) == 16384);

  TrainConfig c = parse_config_text("data: {path: d}\n", "configs/my_run.yaml", "/base");
  CHECK(c.name == "my_run");
  CHECK(c.source == "configs/my_run.yaml");
  CHECK(c.data.path == "/base/d");
  CHECK(c.output.dir == cwd_join("runs/my_run"));
  // Everything else keeps its default.
  d.name = c.name;
  d.data.path = c.data.path;
  d.output.dir = c.output.dir;
  CHECK(c == d);
  CHECK(parse_config_text("data: {path: d}\n", "<string>", "/base").name == "run");
}

TEST_CASE("config example parses, in flow and block style alike", "[config]") {
  TrainConfig c = parse(kExample);
  CHECK(c.name == "criteo_deepfm_128k");
  CHECK(c.data.path == "/base/data/criteo");
  CHECK(c.data.cache == DataCache::automatic);
  CHECK(c.model.type == ModelType::deepfm);
  CHECK(c.model.embedding_dim == 10);
  CHECK(c.model.hidden == std::vector<int>{400, 400, 400});
  CHECK(c.model.cross_layers == 3);
  CHECK(c.train.batch_size == 131072);
  CHECK(c.train.epochs == 10);
  CHECK(c.train.seed == 1234);
  CHECK(c.train.threads == 0);
  CHECK_FALSE(c.train.drop_last);
  CHECK(c.optimizer.lr == 8e-4);
  CHECK(c.optimizer.l2 == 1e-5);
  CHECK(c.optimizer.beta2 == 0.999);
  CHECK(c.optimizer.eps == 1e-7);
  CHECK(c.optimizer.warmup_epochs == 1);
  CHECK(c.optimizer.init_stddev == 1e-2);
  CHECK(c.optimizer.embedding_update == EmbeddingUpdate::all_rows);
  CHECK(c.optimizer.loss_reduction == LossReduction::mean);
  CHECK(c.cowclip.enabled);
  CHECK(c.cowclip.r == 1.0);
  CHECK(c.cowclip.zeta == 1e-5);
  CHECK(c.cowclip.bound_mode == BoundMode::code);
  CHECK(c.scaling.base_batch_size == 1024);
  CHECK(c.output.dir == "/base/runs/criteo_deepfm_128k");
  CHECK(c.output.checkpoint == CheckpointPolicy::epoch);
  CHECK(effective_eval_batch_size(c) == 131072);

  TrainConfig block = parse(R"(
name: criteo_deepfm_128k
data:
  path: data/criteo
model:
  type: deepfm
  hidden:
    - 400
    - 400
    - 400
train:
  batch_size: 131072
  epochs: 10
  drop_last: no
optimizer:
  lr: 0.0008
  warmup_epochs: 1.0
output:
  dir: runs/criteo_deepfm_128k
  checkpoint: epoch
)");
  CHECK(block == c);
}

TEST_CASE("config: the embedding update's spellings before 2026-12-03 still read, as the new values", "[config]") {
  // Every earlier run's config.resolved.yaml says dense or sparse, and --resume reads it back.
  CHECK(parse_config_text("data: {path: d}\noptimizer: {embedding_update: dense}\n", "cfg.yaml", "/base")
            .optimizer.embedding_update == EmbeddingUpdate::all_rows);
  CHECK(parse_config_text("data: {path: d}\noptimizer: {embedding_update: sparse}\n", "cfg.yaml", "/base")
            .optimizer.embedding_update == EmbeddingUpdate::batch_rows);
  // What the config writes is the new spelling.
  TrainConfig c = parse_config_text("data: {path: d}\noptimizer: {embedding_update: sparse}\n", "cfg.yaml", "/base");
  CHECK_THAT(config_to_yaml(c), Contains("embedding_update: batch_rows"));
  CHECK_THAT(config_to_yaml(c), !Contains("sparse"));
}

TEST_CASE("config enum spellings read back", "[config]") {
  ModelType m{};
  CHECK(parse_enum("dcnv2", m));
  CHECK(m == ModelType::dcnv2);
  CHECK_FALSE(parse_enum("DeepFM", m));
  CHECK(std::string(to_string(DeviceChoice::automatic)) == "auto");
  CHECK(std::string(to_string(DataCache::device)) == "device");
  CHECK(std::string(to_string(Precision::tf32)) == "tf32");
  CHECK(std::string(to_string(ScalingRule::cowclip)) == "cowclip");
  CHECK(std::string(to_string(CheckpointPolicy::final)) == "final");
  CHECK(std::string(to_string(BoundMode::paper)) == "paper");
  CHECK(std::string(to_string(EmbeddingUpdate::batch_rows)) == "batch_rows");
  CHECK(std::string(to_string(LossReduction::sum)) == "sum");
  for (const auto& name : enum_names<ModelType>()) {
    REQUIRE(parse_enum(name, m));
    CHECK(to_string(m) == name);
  }
}

TEST_CASE("config unknown keys are reported with place, full key and a suggestion", "[config]") {
  SECTION("misspelt key in its section, block style") {
    std::string msg = error_of("name: x\ndata:\n  path: d\ntrain:\n  batch_size: 4096\noptimizer:\n  lr_embd: 1e-4\n");
    CHECK_THAT(msg, Contains("cfg.yaml:7:3: unknown key 'optimizer.lr_embd'; did you mean 'optimizer.lr_embed'?"));
    CHECK_THAT(msg, Contains("Valid keys in optimizer: lr, lr_embed, l2, beta1"));
  }
  SECTION("a key of another section") {
    std::string msg = error_of("data: {path: d}\noptimizer: {lr: 1e-3, batch_size: 4096}\n");
    CHECK_THAT(msg, Contains("cfg.yaml:2:23: unknown key 'optimizer.batch_size'; did you mean 'train.batch_size'?"));
  }
  SECTION("misspelt section") {
    std::string msg = error_of("data: {path: d}\noptimiser: {lr: 1e-3}\n");
    CHECK_THAT(msg, Contains("cfg.yaml:2:1: unknown top-level key 'optimiser'; did you mean 'optimizer'?"));
    CHECK_THAT(msg, Contains("Top-level keys: name, data, model"));
  }
  SECTION("a section key written at the top level") {
    CHECK_THAT(error_of("data: {path: d}\nepochs: 3\n"), Contains("did you mean 'train.epochs'?"));
    CHECK_THAT(error_of("nmae: x\ndata: {path: d}\n"), Contains("did you mean 'name'?"));
  }
  SECTION("nothing close: no suggestion, the valid keys") {
    std::string msg = error_of("data: {path: d}\nmodel: {zzzzzzzz: 1}\n");
    CHECK_THAT(msg, Contains("unknown key 'model.zzzzzzzz'. Valid keys in model: type, embedding_dim, hidden"));
    CHECK_THAT(msg, !Contains("did you mean"));
  }
}

TEST_CASE("config wrong types are reported with the key and what is allowed", "[config]") {
  SECTION("not a number") {
    std::string msg = error_of("data: {path: d}\noptimizer:\n  lr: abc\n");
    CHECK_THAT(msg, Contains("cfg.yaml:3:7: optimizer.lr: expected a number in (0, 1e+30], got 'abc'"));
  }
  SECTION("a scalar where a list belongs") {
    CHECK_THAT(error_of("data: {path: d}\nmodel: {hidden: 400}\n"),
               Contains("model.hidden: expected a list of integers in 1..65536 like [400, 400, 400] "
                        "(or [] for none), got '400'"));
    CHECK_THAT(error_of("data: {path: d}\nmodel: {hidden: [400, abc]}\n"),
               Contains("cfg.yaml:2:23: model.hidden[1]: expected an integer in 1..65536, got 'abc'"));
  }
  SECTION("not a boolean") {
    CHECK_THAT(error_of("data: {path: d}\ncowclip: {enabled: maybe}\n"),
               Contains("cowclip.enabled: expected true or false, got 'maybe'"));
  }
  SECTION("not a whole number") {
    CHECK_THAT(error_of("data: {path: d}\ntrain: {batch_size: 1.5}\n"),
               Contains("train.batch_size: expected an integer in 1..1048576, got '1.5' (not a whole number)"));
    CHECK(parse("data: {path: d}\ntrain: {batch_size: 1.31072e5}\n").train.batch_size == 131072);
  }
  SECTION("an empty value points at its key") {
    CHECK_THAT(error_of("data: {path: d}\noptimizer:\n  lr:\n  l2: 0\n"),
               Contains("cfg.yaml:3:3: optimizer.lr: expected a number in (0, 1e+30], got nothing"));
  }
  SECTION("a map where a value belongs, and a non-scalar key") {
    CHECK_THAT(error_of("data: {path: {a: 1}}\n"), Contains("data.path: expected a directory path, got a map"));
    CHECK_THAT(error_of("data: {path: d}\n[a, b]: 1\n"),
               Contains("cfg.yaml:2:1: keys must be plain names, got a list"));
  }
}

TEST_CASE("config out-of-range, overflowing and non-finite values are rejected", "[config]") {
  SECTION("ranges") {
    CHECK_THAT(error_of("data: {path: d}\ntrain: {batch_size: 0}\n"),
               Contains("cfg.yaml:2:21: train.batch_size: 0 is out of range; allowed: an integer in 1..1048576"));
    CHECK_THAT(error_of("data: {path: d}\ntrain: {batch_size: 1048577}\n"), Contains("1048577 is out of range"));
    CHECK(parse("data: {path: d}\ntrain: {batch_size: 1048576}\n").train.batch_size == 1048576);
    CHECK_THAT(error_of("data: {path: d}\noptimizer: {beta1: 1}\n"),
               Contains("optimizer.beta1: 1 is out of range; allowed: a number in [0, 1)"));
    CHECK_THAT(error_of("data: {path: d}\noptimizer: {eps: -1}\n"),
               Contains("optimizer.eps: -1 is out of range; allowed: a number in (0, 1]"));
    CHECK_THAT(error_of("data: {path: d}\noptimizer: {eps: 0}\n"), Contains("optimizer.eps: 0 is out of range"));
    CHECK_THAT(error_of("data: {path: d}\noptimizer: {l2: -1e-5}\n"), Contains("allowed: a number in [0, 1000]"));
    CHECK_THAT(error_of("data: {path: d}\nmodel: {embedding_dim: 2000}\n"), Contains("an integer in 1..1024"));
    CHECK_THAT(error_of("data: {path: d}\ntrain: {threads: -1}\n"), Contains("train.threads: -1 is out of range"));
    CHECK(parse("data: {path: d}\noptimizer: {l2: 0, beta1: 0}\n").optimizer.l2 == 0);
  }
  SECTION("integer overflow") {
    CHECK_THAT(error_of("data: {path: d}\ntrain: {batch_size: 99999999999999999999}\n"),
               Contains("train.batch_size: 99999999999999999999 does not fit in a 64-bit integer"));
    CHECK_THAT(error_of("data: {path: d}\ntrain: {seed: 18446744073709551616}\n"),
               Contains("train.seed: 18446744073709551616 does not fit in a 64-bit unsigned integer"));
    CHECK_THAT(error_of("data: {path: d}\ntrain: {seed: -1}\n"), Contains("train.seed: -1 is out of range"));
    CHECK(parse("data: {path: d}\ntrain: {seed: 18446744073709551615}\n").train.seed == UINT64_MAX);
  }
  SECTION("NaN and infinity") {
    CHECK_THAT(error_of("data: {path: d}\noptimizer: {lr: .nan}\n"),
               Contains("optimizer.lr: '.nan' is not a finite number; allowed: a number in (0, 1e+30]"));
    CHECK_THAT(error_of("data: {path: d}\noptimizer: {l2: .inf}\n"), Contains("'.inf' is not a finite number"));
    CHECK_THAT(error_of("data: {path: d}\noptimizer: {lr: 1e999}\n"), Contains("1e999 is too large"));
    CHECK_THAT(error_of("data: {path: d}\noptimizer: {lr: 0x10}\n"), Contains("expected a number in (0, 1e+30], got '0x10'"));
  }
  SECTION("absurdly large values: every real key has a range, named in the message") {
    for (const auto& [yaml, message] : std::vector<std::pair<std::string, std::string>>{
             {"optimizer: {lr: 1e300}", "optimizer.lr: 1e300 is out of range; allowed: a number in (0, 1e+30]"},
             {"optimizer: {lr_embed: 1e31}", "optimizer.lr_embed: 1e31 is out of range"},
             {"optimizer: {eps: 2}", "optimizer.eps: 2 is out of range; allowed: a number in (0, 1]"},
             {"optimizer: {l2: 1e9}", "optimizer.l2: 1e9 is out of range; allowed: a number in [0, 1000]"},
             {"optimizer: {warmup_epochs: 1e7}", "optimizer.warmup_epochs: 1e7 is out of range"},
             {"optimizer: {init_stddev: 1e5}", "optimizer.init_stddev: 1e5 is out of range"},
             {"optimizer: {clip_global_norm: 1e20}", "optimizer.clip_global_norm: 1e20 is out of range"},
             {"cowclip: {r: 1e10}", "cowclip.r: 1e10 is out of range"},
             {"cowclip: {zeta: 1e10}", "cowclip.zeta: 1e10 is out of range"},
             {"model: {cross_l2: 1e10}", "model.cross_l2: 1e10 is out of range"},
             {"train: {time_limit_seconds: 1e30}", "train.time_limit_seconds: 1e30 is out of range"},
             {"train: {batch_size: 0}", "train.batch_size: 0 is out of range"},
             {"model: {embedding_dim: 100000}", "model.embedding_dim: 100000 is out of range"}}) {
      INFO(yaml);
      CHECK_THAT(error_of("data: {path: d}\n" + yaml + "\n"), Contains(message));
    }
    CHECK(parse("data: {path: d}\noptimizer: {eps: 1}\n").optimizer.eps == 1);  // the bound itself is allowed
  }
  SECTION("bad enum values") {
    std::string msg = error_of("data: {path: d}\nmodel: {type: deepfmm}\n");
    CHECK_THAT(msg, Contains("cfg.yaml:2:15: model.type: unknown value 'deepfmm'; did you mean 'deepfm'? "
                             "Allowed: lr, fm, wdl, deepfm, dcn, dcnv2, dlrm"));
    CHECK_THAT(error_of("data: {path: d}\ntrain: {device: tpu_cluster}\n"),
               Contains("unknown value 'tpu_cluster'; allowed: auto, cpu, cuda"));
  }
  SECTION("run names") {
    CHECK_THAT(error_of("name: a/b\ndata: {path: d}\n"), Contains("cfg.yaml:1:7: name: 'a/b' is not a valid run name"));
    CHECK_THAT(error_of("name: ..\ndata: {path: d}\n"), Contains("not a valid run name"));
  }
}

TEST_CASE("config structural problems are explained", "[config]") {
  SECTION("a section that is not a map") {
    CHECK_THAT(error_of("data: {path: d}\nmodel: [1, 2]\n"),
               Contains("cfg.yaml:2:8: section 'model' must be a map of keys, like `model: {type: ...}`"));
    CHECK_THAT(error_of("data: {path: d}\ntrain: 5\n"), Contains("section 'train' must be a map of keys"));
    CHECK(parse("data: {path: d}\ncowclip:\n").cowclip.enabled);  // an empty section keeps the defaults
  }
  SECTION("YAML syntax error with yaml-cpp's position") {
    std::string msg = error_of("data: {path: d}\nmodel: {type: fm\ntrain: {epochs: 2}\n");
    CHECK_THAT(msg, Contains("cfg.yaml:3:"));
    CHECK_THAT(msg, Contains("YAML syntax error"));
  }
  SECTION("empty file and non-map documents") {
    CHECK_THAT(error_of(""), Contains("cfg.yaml: the config is empty"));
    CHECK_THAT(error_of("# only a comment\n"), Contains("the config is empty"));
    CHECK_THAT(error_of("- a\n- b\n"), Contains("the config must be a map of sections"));
  }
  SECTION("missing or empty data.path") {
    CHECK_THAT(error_of("model: {type: fm}\n"), Contains("cfg.yaml: missing required key 'data.path'"));
    CHECK_THAT(error_of("data: {path: ''}\n"), Contains("data.path: the path is empty"));
  }
  SECTION("CowClip and global-norm clipping together") {
    std::string msg = error_of("data: {path: d}\noptimizer:\n  clip_global_norm: 1.5\n");
    CHECK_THAT(msg, Contains("cfg.yaml:3:3: optimizer.clip_global_norm = 1.5 together with cowclip.enabled = true: "
                             "choose one"));
    TrainConfig ok = parse("data: {path: d}\noptimizer: {clip_global_norm: 1.5}\ncowclip: {enabled: false}\n");
    CHECK(ok.optimizer.clip_global_norm == 1.5);
  }
  SECTION("duplicate keys and sections") {
    CHECK_THAT(error_of("data: {path: d}\ntrain:\n  epochs: 1\n  epochs: 2\n"),
               Contains("cfg.yaml:4:3: duplicate key 'train.epochs' (first given at line 3)"));
    CHECK_THAT(error_of("data: {path: d}\ntrain: {epochs: 1}\ntrain: {epochs: 2}\n"),
               Contains("cfg.yaml:3:1: duplicate key 'train' (first given at line 2)"));
  }
}

TEST_CASE("config scaling rules give the documented values", "[config]") {
  TrainConfig c = parse(kExample);  // base 1024, batch 131072: s = 128
  auto with_rule = [&](ScalingRule r) {
    c.scaling.rule = r;
    return resolve_scaling(c);
  };
  SECTION("none") {
    ResolvedHyper h = with_rule(ScalingRule::none);
    CHECK(h.scale == 128);
    CHECK(h.lr == Approx(8e-4));
    CHECK(h.lr_embed == Approx(1e-4));
    CHECK(h.l2 == Approx(1e-5));
  }
  SECTION("sqrt") {
    ResolvedHyper h = with_rule(ScalingRule::sqrt);
    CHECK(h.lr == Approx(9.0510e-3).epsilon(1e-4));
    CHECK(h.lr_embed == Approx(1.13137e-3).epsilon(1e-5));
    CHECK(h.l2 == Approx(1.13137e-4).epsilon(1e-5));
  }
  SECTION("linear") {
    ResolvedHyper h = with_rule(ScalingRule::linear);
    CHECK(h.lr == Approx(0.1024));
    CHECK(h.lr_embed == Approx(0.0128));
    CHECK(h.l2 == Approx(1.28e-3));
  }
  SECTION("cowclip") {
    ResolvedHyper h = with_rule(ScalingRule::cowclip);
    CHECK(h.lr == Approx(9.0510e-3).epsilon(1e-4));
    CHECK(h.lr_embed == 1e-4);
    CHECK(h.l2 == Approx(1.28e-3));
    CHECK(c.model.cross_l2 == 1e-5);  // never scaled
    CHECK(c.cowclip.zeta == 1e-5);
  }
  SECTION("a batch below the base shrinks the values") {
    c.train.batch_size = 256;
    ResolvedHyper h = with_rule(ScalingRule::linear);
    CHECK(h.scale == 0.25);
    CHECK(h.lr == Approx(2e-4));
    ScalingFactors f = scaling_factors(ScalingRule::cowclip, 0.25);
    CHECK(f.lr == 0.5);
    CHECK(f.lr_embed == 1);
    CHECK(f.l2 == 0.25);
  }
}

TEST_CASE("config_to_yaml reads back as the same config", "[config]") {
  SECTION("the example") {
    TrainConfig c = parse(kExample);
    std::string yaml = config_to_yaml(c);
    CHECK_THAT(yaml, Contains("resolved:"));
    CHECK_THAT(yaml, Contains("scale: 128"));
    CHECK_THAT(yaml, Contains("path: /base/data/criteo"));
    TrainConfig back = parse_config_text(yaml, "elsewhere/other.yaml", "/elsewhere");
    CHECK(back == c);
    auto body = [](const std::string& y) { return y.substr(y.find('\n')); };  // line 1 names the source
    CHECK(body(config_to_yaml(back)) == body(yaml));
    // Each comment stands on the line of the key it explains.
    CHECK_THAT(yaml, Contains("max_steps_per_epoch: 0  # 0 = the whole train split\n"));
    CHECK_THAT(yaml, Contains("profile: false\n"));
    CHECK_THAT(yaml, Contains("time_limit_seconds: 0  # 0 = no limit\n"));
    CHECK_THAT(yaml, Contains("threads: 0  # 0 = all hardware threads\n"));
  }
  SECTION("every key away from its default") {
    TrainConfig c = parse(R"(
name: all.keys-1
data: {path: "/data/my set #1", cache: none, valid_path: /v, test_path: t}
model: {type: dcnv2, embedding_dim: 16, hidden: [], cross_layers: 0, cross_l2: 0.3}
train: {batch_size: 3000, epochs: 7, seed: 18446744073709551615, device: cuda, precision: tf32, threads: 3, drop_last: true,
        log_every: 17, max_steps_per_epoch: 9, profile: true, eval_batch_size: 5, time_limit_seconds: 42.5,
        eval_every_steps: 11, early_stopping: {metric: logloss, patience: 4, min_delta: 1e-4}, init_from: c.ckpt}
optimizer: {lr: 0.1, lr_embed: 3.3e-5, l2: 0, beta1: 0, beta2: 0.5, eps: 1e-300, warmup_epochs: 0.25,
            init_stddev: 0.1, embedding_update: batch_rows, loss_reduction: sum, clip_global_norm: 2}
cowclip: {enabled: false, r: 2.5, zeta: 0, bound_mode: paper}
scaling: {rule: sqrt, base_batch_size: 7}
output: {dir: out, checkpoint: none}
)");
    CHECK(c.data.path == "/data/my set #1");
    CHECK(c.data.test_path == "/base/t");
    CHECK(c.train.init_from == "/base/c.ckpt");
    CHECK(c.train.early_stopping.enabled);
    CHECK(c.train.early_stopping.metric == StopMetric::logloss);
    CHECK(c.train.early_stopping.patience == 4);
    CHECK(c.train.early_stopping.min_delta == 1e-4);
    TrainConfig back = parse_config_text(config_to_yaml(c), "x.yaml", "/elsewhere");
    CHECK(back == c);
    back.model.hidden = {1};
    CHECK(back != c);
  }
  SECTION("a resolved section on input is ignored") {
    TrainConfig c = parse("data: {path: d}\nresolved: {scale: 9, lr: 5, whatever: [1]}\n");
    CHECK(c == parse("data: {path: d}\n"));
  }
}

TEST_CASE("config --set overrides apply after the file", "[config]") {
  SECTION("scalars, lists and the name") {
    TrainConfig c = parse(kExample, {"optimizer.lr=1e-3", "train.batch_size=4096", "cowclip.enabled=false",
                                     "model.type=fm", "model.hidden=[256,256]", "name=foo"});
    CHECK(c.optimizer.lr == 1e-3);
    CHECK(c.train.batch_size == 4096);
    CHECK_FALSE(c.cowclip.enabled);
    CHECK(c.model.type == ModelType::fm);
    CHECK(c.model.hidden == std::vector<int>{256, 256});
    CHECK(c.name == "foo");
    CHECK(parse(kExample, {"model.hidden=[]"}).model.hidden.empty());
    CHECK(parse(kExample, {"train.epochs=2", "train.epochs=3"}).train.epochs == 3);  // the last one wins
  }
  SECTION("paths are relative to the current directory; the default output dir follows the name") {
    TrainConfig c = parse("data: {path: d}\n", {"data.path=rel/x", "name=foo"});
    CHECK(c.data.path == cwd_join("rel/x"));
    CHECK(c.output.dir == cwd_join("runs/foo"));
    CHECK(parse("data: {path: d}\n", {"output.dir=/abs/#out"}).output.dir == "/abs/#out");
    CHECK(parse(kExample, {"output.dir="}).output.dir == cwd_join("runs/criteo_deepfm_128k"));
  }
  SECTION("a --set may supply the required data.path") {
    CHECK(parse("model: {type: fm}\n", {"data.path=/d"}).data.path == "/d");
  }
  SECTION("errors name the argument") {
    CHECK_THAT(error_of(kExample, {"optimizer.lr=abc"}),
               Contains("--set optimizer.lr=abc: optimizer.lr: expected a number in (0, 1e+30], got 'abc'"));
    CHECK_THAT(error_of(kExample, {"optimizer.lr_embd=1"}),
               Contains("--set optimizer.lr_embd=1: unknown key 'optimizer.lr_embd'; "
                        "did you mean 'optimizer.lr_embed'?"));
    CHECK_THAT(error_of(kExample, {"optimiser.lr=1"}),
               Contains("unknown section 'optimiser' in 'optimiser.lr'; did you mean 'optimizer.lr'?"));
    CHECK_THAT(error_of(kExample, {"optimizer.batch_size=8"}), Contains("did you mean 'train.batch_size'?"));
    CHECK_THAT(error_of(kExample, {"optimizer.lr"}), Contains("--set optimizer.lr: no '=' in the argument"));
    CHECK_THAT(error_of(kExample, {"lr=1"}),
               Contains("--set lr=1: unknown top-level key 'lr'; did you mean 'optimizer.lr'?"));
    CHECK_THAT(error_of(kExample, {"model=fm"}), Contains("--set model=fm: 'model' is a section"));
    CHECK_THAT(error_of(kExample, {"model.hidden.x=1"}), Contains("'model.hidden.x' is not a config key"));
    CHECK_THAT(error_of(kExample, {"model.hidden=[256,"}), Contains("'[256,' is not a valid YAML value"));
    CHECK_THAT(error_of(kExample, {"model.hidden=256"}), Contains("model.hidden: expected a list of integers"));
    CHECK_THAT(error_of(kExample, {"name=a b"}), Contains("--set name=a b: name: 'a b' is not a valid run name"));
    CHECK_THAT(error_of(kExample, {"resolved.lr=1"}), Contains("cannot be set"));
    CHECK_THAT(error_of(kExample, {"optimizer.clip_global_norm=1"}),
               Contains("--set optimizer.clip_global_norm=1: optimizer.clip_global_norm = 1 together with"));
  }
}

TEST_CASE("config relative paths resolve against the config's folder, absolute ones are kept", "[config]") {
  TrainConfig c = parse_config_text("data: {path: ../data/x/}\noutput: {dir: ./out}\n", "c.yaml", "/base/sub");
  CHECK(c.data.path == "/base/data/x");
  CHECK(c.output.dir == "/base/sub/out");
  TrainConfig a = parse_config_text("data: {path: /abs/data}\noutput: {dir: /abs/out}\n", "c.yaml", "/base/sub");
  CHECK(a.data.path == "/abs/data");
  CHECK(a.output.dir == "/abs/out");

  ctr::test::ScratchDir tmp("config-load");
  fs::create_directories(tmp / "configs");
  ctr::test::write_file(tmp / "configs/criteo_128k.yaml", "data:\n  path: ../data\noptimizer: {lr: 1e-3}\n");
  TrainConfig f = load_config_file(tmp / "configs/criteo_128k.yaml", {"train.epochs=4"});
  CHECK(f.name == "criteo_128k");
  CHECK(f.source == tmp / "configs/criteo_128k.yaml");
  CHECK(f.data.path == fs::path(tmp / "data").lexically_normal().string());
  CHECK(f.train.epochs == 4);
  CHECK_THROWS_WITH(load_config_file(tmp / "missing.yaml"), Contains("missing.yaml' not found"));
  CHECK_THROWS_AS(load_config_file(tmp / "missing.yaml"), UsageError);
  ctr::test::write_file(tmp / "configs/bad.yaml", "data: {path: d}\noptimizer: {lr: x}\n");
  CHECK_THROWS_WITH(load_config_file(tmp / "configs/bad.yaml"), Contains("configs/bad.yaml:2:17: optimizer.lr"));
}

TEST_CASE("config key suggestions use Damerau-Levenshtein distance", "[config]") {
  CHECK(edit_distance("lr_embd", "lr_embed") == 1);
  CHECK(edit_distance("nmae", "name") == 1);  // one swap
  CHECK(edit_distance("Batch_Size", "batch_size") == 0);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(closest_match("optimiser", {"data", "optimizer", "output"}) == "optimizer");
  CHECK(closest_match("ab", {"lr", "l2"}).empty());
  CHECK(closest_match("completely_different", {"lr", "l2"}).empty());
}

TEST_CASE("config train.early_stopping: none, a map with defaults, and clear errors", "[config]") {
  const TrainConfig off = parse("data: {path: d}\n");
  CHECK_FALSE(off.train.early_stopping.enabled);
  CHECK_THAT(config_to_yaml(off), Contains("early_stopping: none\n"));
  CHECK(parse("data: {path: d}\ntrain: {early_stopping: none}\n") == off);
  const TrainConfig on = parse("data: {path: d}\ntrain: {early_stopping: {patience: 3}}\n");
  CHECK(on.train.early_stopping.enabled);
  CHECK(on.train.early_stopping.metric == StopMetric::auc);
  CHECK(on.train.early_stopping.patience == 3);
  CHECK(on.train.early_stopping.min_delta == 0);
  CHECK(parse_config_text(config_to_yaml(on), "x.yaml", "/base") == on);
  CHECK(parse("data: {path: d}\n", {"train.early_stopping={metric: logloss}"}).train.early_stopping.metric ==
        StopMetric::logloss);
  CHECK_THAT(error_of("data: {path: d}\ntrain: {early_stopping: {patience: 0}}\n"),
             Contains("cfg.yaml:2:36: train.early_stopping.patience: 0 is out of range"));
  CHECK_THAT(error_of("data: {path: d}\ntrain: {early_stopping: {metrc: auc}}\n"),
             Contains("train.early_stopping.metrc: unknown key, did you mean 'metric'?"));
  CHECK_THAT(error_of("data: {path: d}\ntrain: {early_stopping: {metric: gauc}}\n"),
             Contains("train.early_stopping.metric: unknown value 'gauc'"));
  CHECK_THAT(error_of("data: {path: d}\ntrain: {early_stopping: yes}\n"),
             Contains("expected `none` or a map like {metric: auc, patience: 2, min_delta: 0}"));
  CHECK_THAT(error_of("data: {path: d}\ntrain: {eval_every_steps: -1}\n"), Contains("train.eval_every_steps"));
}

TEST_CASE("config strings must be UTF-8, so config.resolved.yaml records them as given", "[config]") {
  // Found by fuzz_config: yaml-cpp writes such bytes back as U+FFFD, so a resumed run would
  // have read another data path than the run it continues.
  CHECK_THAT(error_of("data: {path: \"d\xff\xfex\"}\n"),
             Contains("data.path") && Contains("byte 0xff at offset 1 is not UTF-8"));
  CHECK_THAT(error_of("name: \"a\xc3\"\ndata: {path: d}\n"), Contains("byte 0xc3 at offset 1 is not UTF-8"));
  CHECK(parse("data: {path: \"d\xc3\xa9j\xc3\xa0\"}\n").data.path == "/base/d\xc3\xa9j\xc3\xa0");  // é, à are fine
}
