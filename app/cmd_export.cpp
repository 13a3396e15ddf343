// `ctrtrain export`: a checkpoint as a serving directory (ONNX model, vocabulary, features.json).
#include <cstdio>
#include <memory>

#include "app/commands.h"
#include "export/onnx_export.h"

namespace ctr::app {

Command add_export_command(CLI::App& root) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* c = root.add_subcommand("export",
                                    "Export a checkpoint for serving: DIR/model.onnx, DIR/features.json, "
                                    "DIR/vocab/ (docs/serving.md)");
  c->add_option("--checkpoint", o->checkpoint, "checkpoint.ckpt of a run")->required();
  c->add_option("--format", o->format, "Export format: onnx");
  c->add_option("--output", o->output, "Serving directory to create")->required();
  c->add_flag("--force", o->force, "Replace an existing output directory");
  c->add_flag("--external-data", o->external_data,
              "Store the weights in DIR/model.onnx.data (always done when they pass 1 GiB)");
  return {c, [o] {
            const ExportResult r = export_checkpoint(*o);
            std::printf("exported %s model to %s\n", o->format.c_str(), r.directory.c_str());
          }};
}

}  // namespace ctr::app
