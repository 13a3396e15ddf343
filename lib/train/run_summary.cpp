// RunSummary (see run_summary.h).
#include "train/run_summary.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/json_reader.h"
#include "core/json_writer.h"

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

// Reports written before the valid split have no selection: they evaluated test at each epoch's
// end and reported the last.
void read_selection(const JsonNode& j, RunSummary& s) {
  if (!j.has("selection")) {
    s.selection_split = "test";
    s.selected_step = j["train"]["steps"].as<uint64_t>();
    return;
  }
  const JsonNode sel = j["selection"];
  s.selection_split = sel["split"].as<std::string>();
  s.selected_step = sel["selected_step"].as<uint64_t>();
  s.stopped_early = sel["stopped_early"].as<bool>();
}

// A CSV cell: numbers as JSON spells them (NaN as empty), text quoted when it holds a comma or quote.
std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string q = "\"";
  for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
std::string csv_cell(double v) { return std::isfinite(v) ? json_number(v) : std::string(); }
std::string csv_cell(uint64_t v) { return std::to_string(v); }
std::string csv_cell(bool v) { return v ? "true" : "false"; }

}  // namespace

RunSummary read_run_summary(const std::string& run_dir) {
  const std::string file = (std::filesystem::path(run_dir) / "report.json").string();
  if (!std::filesystem::is_regular_file(file))
    throw Error(fmt::format("{}: no report.json (the run has not finished, or this is not a run directory)", run_dir));
  const YAML::Node doc = load_json_file(file, "re-run the training or remove the directory");
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
  const double none = std::nan("");
  s.auc = j.has("test") ? j["test"]["auc"].as<double>() : none;
  s.logloss = j.has("test") ? j["test"]["logloss"].as<double>() : none;
  s.valid_auc = j.has("valid") ? j["valid"]["auc"].as<double>() : none;
  s.valid_logloss = j.has("valid") ? j["valid"]["logloss"].as<double>() : none;
  read_selection(j, s);
  s.seed = j["seed"].as<uint64_t>();
  s.dataset = j["data"]["dataset"].as<std::string>();
  s.epochs_done = j["epochs_detail"].size();
  // Absent from reports written before report.json recorded them.
  for (auto [key, field] : {std::pair{"commit", &s.commit}, {"host", &s.host}, {"started_at", &s.started_at}})
    if (j.has(key)) *field = j[key].as<std::string>();
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
    const bool any_valid = std::any_of(rs.begin(), rs.end(), [](const RunSummary& r) { return !std::isnan(r.valid_auc); });
    out += fmt::format("| batch | model | lr | lr_embed | l2 | {}test AUC | logloss | train s | speed-up | clipped | run |\n",
                       any_valid ? "valid AUC | " : "");
    out += any_valid ? "|---|---|---|---|---|---|---|---|---|---|---|---|\n" : "|---|---|---|---|---|---|---|---|---|---|---|\n";
    auto score = [](double v) { return std::isnan(v) ? std::string("n/a") : fmt::format("{:.5f}", v); };
    for (const RunSummary& r : rs) {
      const std::string speedup = r.train_seconds > 0 ? fmt::format("{:.2f}x", base_seconds / r.train_seconds) : "n/a";
      // Three significant digits: under the mean loss the clipped share is often below 0.01%.
      out += fmt::format("| {} | {} | {:.4g} | {:.4g} | {:.4g} | {}{} | {} | {:.1f} | {} | {:.3g}% | {} |\n",
                         r.batch_size, r.model, r.lr, r.lr_embed, r.l2, any_valid ? score(r.valid_auc) + " | " : "",
                         score(r.auc), score(r.logloss), r.train_seconds, speedup, 100 * r.clipped_fraction, r.dir);
    }
    out += "\n";
  }
  return out;
}

std::string summary_csv(const std::vector<RunSummary>& runs) {
  std::string out =
      "dir,name,model,dataset,data_path,batch_size,epochs,epochs_done,seed,rule,cowclip,bound_mode,embedding_update,"
      "loss_reduction,architecture,base_batch_size,base_lr,base_lr_embed,base_l2,lr,lr_embed,l2,init_stddev,valid_auc,"
      "valid_logloss,test_auc,test_logloss,selection_split,selected_step,stopped_early,train_seconds,samples_per_sec,"
      "clipped_fraction,commit,host,started_at\n";
  for (const RunSummary& r : runs) {
    const std::vector<std::string> cells = {
        csv_cell(r.dir), csv_cell(r.name), csv_cell(r.model), csv_cell(r.dataset), csv_cell(r.data_path),
        csv_cell(r.batch_size), csv_cell(r.epochs), csv_cell(r.epochs_done), csv_cell(r.seed), csv_cell(r.rule),
        csv_cell(r.cowclip), csv_cell(r.bound_mode), csv_cell(r.embedding_update), csv_cell(r.loss_reduction),
        csv_cell(r.architecture), csv_cell(r.base_batch_size), csv_cell(r.base_lr), csv_cell(r.base_lr_embed),
        csv_cell(r.base_l2), csv_cell(r.lr), csv_cell(r.lr_embed), csv_cell(r.l2), csv_cell(r.init_stddev),
        csv_cell(r.valid_auc), csv_cell(r.valid_logloss), csv_cell(r.auc), csv_cell(r.logloss),
        csv_cell(r.selection_split), csv_cell(r.selected_step), csv_cell(r.stopped_early), csv_cell(r.train_seconds),
        csv_cell(r.samples_per_sec), csv_cell(r.clipped_fraction), csv_cell(r.commit), csv_cell(r.host),
        csv_cell(r.started_at)};
    for (size_t i = 0; i < cells.size(); ++i) out += cells[i] + (i + 1 < cells.size() ? "," : "\n");
  }
  return out;
}

}  // namespace ctr
