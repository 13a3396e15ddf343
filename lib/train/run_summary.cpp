// RunSummary (see run_summary.h).
#include "train/run_summary.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/json_reader.h"

namespace ctr {

namespace {

// The model's widths as report.json's hyperparameters give them (bottom_hidden: reports since dlrm).
std::string architecture_of(const JsonNode& h) {
  auto widths = [](const std::vector<uint64_t>& v) {
    std::string s;
    for (uint64_t x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
    return "[" + s + "]";
  };
  std::string a = fmt::format("embedding_dim {}, hidden {}, cross_layers {}", h["embedding_dim"].as<uint64_t>(),
                              widths(h["hidden"].as_vector<uint64_t>()), h["cross_layers"].as<uint64_t>());
  if (h.has("bottom_hidden")) a += ", bottom_hidden " + widths(h["bottom_hidden"].as_vector<uint64_t>());
  return a;
}

}  // namespace

RunSummary read_run_summary(const std::string& run_dir) {
  const std::string file = (std::filesystem::path(run_dir) / "report.json").string();
  if (!std::filesystem::is_regular_file(file))
    throw Error(fmt::format("{}: no report.json (the run has not finished, or this is not a run directory)", run_dir));
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}: not valid JSON ({}); re-run the training or remove the directory", file, e.what()));
  }
  const JsonNode j(doc, file, "written by an older or newer ctrtrain, or damaged; re-run the training");
  RunSummary s;
  s.dir = run_dir;
  s.name = j["name"].as<std::string>();
  s.model = j["model"].as<std::string>();
  s.batch_size = j["batch_size"].as<uint64_t>();
  s.epochs = j["epochs"].as<uint64_t>();
  const JsonNode h = j["hyperparameters"];
  s.lr = h["lr"].as<double>();
  s.lr_embed = h["lr_embed"].as<double>();
  s.l2 = h["l2"].as<double>();
  s.rule = h["scaling_rule"].as<std::string>();
  s.cowclip = h["cowclip"]["enabled"].as<bool>();
  s.bound_mode = h["cowclip"]["bound_mode"].as<std::string>();
  s.embedding_update = h["embedding_update"].as<std::string>();
  // Reports written before optimizer.loss_reduction existed all used the mean.
  s.loss_reduction = h.node()["loss_reduction"] ? h["loss_reduction"].as<std::string>() : "mean";
  s.init_stddev = h["init_stddev"].as<double>();
  s.base_lr = h["base_lr"].as<double>();
  s.base_lr_embed = h["base_lr_embed"].as<double>();
  s.base_l2 = h["base_l2"].as<double>();
  s.base_batch_size = h["base_batch_size"].as<uint64_t>();
  s.data_path = j["data"]["path"].as<std::string>();
  s.architecture = architecture_of(h);
  s.auc = j["test"]["auc"].as<double>();
  s.logloss = j["test"]["logloss"].as<double>();
  s.train_seconds = j["train"]["seconds"].as<double>();
  s.samples_per_sec = j["train"]["samples_per_sec"].as<double>();
  s.clipped_fraction = j["cowclip"]["clipped_fraction"].as<double>();
  return s;
}

std::string summary_markdown(std::vector<RunSummary> runs) {
  // Runs that differ in more than the batch size go to separate tables, so that a speed-up or
  // an AUC trend is never read across, say, CowClip on and off, two models or two epoch counts.
  auto setup = [](const RunSummary& r) {
    return fmt::format(
        "{}, {} epoch{}, CowClip {}, {} embedding update, {} loss, init {:g}\n\n"
        "{}; base lr {:g}, lr_embed {:g}, l2 {:g} at batch {}; data {}",
        r.model, r.epochs, r.epochs == 1 ? "" : "s", r.cowclip ? "on (" + r.bound_mode + " bound)" : std::string("off"),
        r.embedding_update, r.loss_reduction, r.init_stddev, r.architecture, r.base_lr, r.base_lr_embed, r.base_l2,
        r.base_batch_size, r.data_path);
  };
  std::map<std::pair<std::string, std::string>, std::vector<RunSummary>> tables;
  for (auto& r : runs) tables[{r.rule, setup(r)}].push_back(std::move(r));
  std::string out;
  for (auto& [key, rs] : tables) {
    std::stable_sort(rs.begin(), rs.end(),
                     [](const RunSummary& a, const RunSummary& b) { return a.batch_size < b.batch_size; });
    const double base_seconds = rs.front().train_seconds;
    const size_t split = key.second.find("\n\n");
    out += fmt::format("### scaling rule: {} ({})\n\n{}\n\n", key.first, key.second.substr(0, split),
                       key.second.substr(split + 2));
    out += "| batch | model | lr | lr_embed | l2 | test AUC | logloss | train s | speed-up | clipped | run |\n";
    out += "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const RunSummary& r : rs) {
      const std::string speedup = r.train_seconds > 0 ? fmt::format("{:.2f}x", base_seconds / r.train_seconds) : "n/a";
      // Three significant digits: under the mean loss the clipped share is often below 0.01%.
      out += fmt::format("| {} | {} | {:.4g} | {:.4g} | {:.4g} | {:.5f} | {:.5f} | {:.1f} | {} | {:.3g}% | {} |\n",
                         r.batch_size, r.model, r.lr, r.lr_embed, r.l2, r.auc, r.logloss, r.train_seconds, speedup,
                         100 * r.clipped_fraction, r.dir);
    }
    out += "\n";
  }
  return out;
}

}  // namespace ctr
