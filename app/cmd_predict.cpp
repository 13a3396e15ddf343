// `ctrtrain predict`: one probability per row, for a dataset split or a raw Criteo/Avazu file.
#include <cstdio>
#include <memory>

#include "app/cli_checks.h"
#include "app/commands.h"
#include "core/limits.h"
#include "train/inference.h"

namespace ctr::app {

Command add_predict_command(CLI::App& root) {
  auto o = std::make_shared<InferenceOptions>();
  auto output = std::make_shared<std::string>();
  CLI::App* c = root.add_subcommand("predict", "Write one click probability per row using a checkpoint");
  c->add_option("--checkpoint", o->checkpoint, "checkpoint.ckpt of a run")->required();
  c->add_option("--data", o->data,
                "A preprocessed dataset directory (rows of --split, in file order) or a raw file in the training "
                "format (plain, .gz or .zst), encoded with the checkpoint's vocabulary")
      ->required();
  c->add_option("--output", *output, "Output file: one probability per line")->required();
  c->add_option("--split", o->split, "Split of a dataset directory: test, valid or train");
  c->add_option("--threads", o->threads, "CPU threads (0 = all)")->check(thread_count());
  c->add_option("--batch-size", o->batch_size, "Rows per forward pass")->check(whole_number(1, kMaxBatchSize));
  return {c, [o, output] {
            const uint64_t n = predict_to_file(*o, *output);
            std::printf("wrote %llu predictions to %s\n", static_cast<unsigned long long>(n), output->c_str());
          }};
}

}  // namespace ctr::app
