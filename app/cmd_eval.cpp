// `ctrtrain eval`: scores a checkpoint on a dataset split and prints AUC and logloss.
#include <cstdio>
#include <memory>

#include "app/cli_checks.h"
#include "app/commands.h"
#include "core/fs_util.h"
#include "core/json_writer.h"
#include "core/limits.h"
#include "train/inference.h"

namespace ctr::app {

Command add_eval_command(CLI::App& root) {
  auto o = std::make_shared<InferenceOptions>();
  auto json_out = std::make_shared<std::string>();
  CLI::App* c = root.add_subcommand("eval", "Evaluate a checkpoint on a preprocessed dataset (AUC, logloss)");
  c->add_option("--checkpoint", o->checkpoint, "checkpoint.ckpt of a run")->required();
  c->add_option("--data", o->data, "Preprocessed dataset directory with the checkpoint's vocabulary")->required();
  c->add_option("--split", o->split, "Split to score: test or train");
  c->add_option("--threads", o->threads, "CPU threads (0 = all)")->check(thread_count());
  c->add_option("--batch-size", o->batch_size, "Rows per forward pass")->check(whole_number(1, kMaxBatchSize));
  c->add_option("--json", *json_out, "Also write the result as JSON to this file");
  return {c, [o, json_out] {
            const EvalResult r = evaluate_checkpoint(*o);
            if (!json_out->empty()) {
              JsonWriter j;
              j.begin_object().value("checkpoint", o->checkpoint).value("data", o->data).value("split", o->split);
              j.value("rows", r.rows).value("auc", r.auc).value("logloss", r.logloss).end_object();
              write_text_file(*json_out, j.str());
            }
            std::printf("%s split: %llu rows  AUC %.6f  logloss %.6f  (%.1f s)\n", o->split.c_str(),
                        static_cast<unsigned long long>(r.rows), r.auc, r.logloss, r.seconds);
          }};
}

}  // namespace ctr::app
