// The vocabularies preprocess keeps with --min-count and --max-vocab, on a multi-day log split
// by day, against an independent count in Python (tests/python/vocab_reference.py, standard
// library only).
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "support/test_util.h"

using ctr::test::run_command;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;

namespace {

void require_python_and_zstd() {
  static const bool ok = run_command("python3 -c 'import gzip, json' && zstd --version").exit_code == 0;
  if (ok) return;
  std::printf("SKIPPED: python3 or the zstd program is missing (scripts/setup.sh installs both)\n");
  std::fflush(stdout);
  std::exit(77);
}

}  // namespace

TEST_CASE("min-count and max-vocab vocabularies match an independent count in Python", "[preprocess][vocab]") {
  require_python_and_zstd();
  ScratchDir tmp("vocab-reference");
  const std::string raw = tmp / "raw";
  auto s = run_ctrtrain("synth --quiet --dataset criteo1tb --days 3 --rows-per-day 4000 --vocab-scale 2e-4 --seed 3 "
                        "--output " + raw);
  REQUIRE(s.exit_code == 0);
  const std::string days = raw + "/day_0.gz " + raw + "/day_1.gz " + raw + "/day_2.gz";
  const std::string script = ctr::test::source_dir() + "/tests/python/vocab_reference.py";
  struct Case {
    const char* options;   // preprocess's
    const char* counted;   // the same, for the script
  };
  int n = 0;
  for (const Case& c : {Case{"", ""}, Case{"--min-count 3", "--min-count 3"}, Case{"--max-vocab 40", "--max-vocab 40"},
                        Case{"--min-count 2 --max-vocab 300 --valid-day-half", "--min-count 2 --max-vocab 300"}}) {
    INFO("preprocess " << c.options);
    const std::string out = tmp / ("d" + std::to_string(n++));
    auto p = run_ctrtrain("preprocess --quiet --dataset criteo --split day --input " + days + " --output " + out + " " +
                          c.options);
    INFO(p.output);
    REQUIRE(p.exit_code == 0);
    auto check = run_command("python3 " + script + " --dataset " + out + " --train " + raw + "/day_0.gz " + raw +
                             "/day_1.gz --other " + raw + "/day_2.gz " + c.counted);
    INFO(check.output);
    CHECK(check.exit_code == 0);
    CHECK(check.output.find("OK") != std::string::npos);
  }
}
