// --help tidying and flag suggestions (see cli_help.h).
#include "app/cli_help.h"

#include <sstream>
#include <vector>

#include "config/key_suggest.h"

namespace ctr::app {

void tidy_help(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (opt->get_required() || opt->get_default_str() == "[]") opt->default_str("");
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) tidy_help(*sub);
}

namespace {

// The command whose options the unexpected words were meant for: the last subcommand parsed.
const CLI::App& active_command(const CLI::App& root) {
  const CLI::App* app = &root;
  for (;;) {
    const std::vector<const CLI::App*> subs = app->get_subcommands([](const CLI::App* s) { return s->parsed(); });
    if (subs.empty()) return *app;
    app = subs.back();
  }
}

// The words after "expected: " in CLI11's ExtrasError message.
std::vector<std::string> unexpected_words(const std::string& message) {
  std::vector<std::string> words;
  const size_t at = message.find("expected: ");
  if (at == std::string::npos) return words;
  std::istringstream in(message.substr(at + 10));
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

std::string suggestion_for(const CLI::App& root, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr) return "";
  const CLI::App& app = active_command(root);
  std::vector<std::string> flags, commands;
  for (const CLI::Option* opt : app.get_options())
    for (const std::string& name : opt->get_lnames()) flags.push_back("--" + name);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    commands.push_back(sub->get_name());
  for (const std::string& w : unexpected_words(e.what())) {
    const bool is_flag = w.rfind("--", 0) == 0;
    const std::string best = closest_match(w, is_flag ? flags : commands);
    if (!best.empty()) return " (did you mean '" + best + "'?)";
  }
  return "";
}

}  // namespace ctr::app
