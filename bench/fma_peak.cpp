// Measures this core's peak FP32 multiply-add rate, the ceiling that any implementation of the
// same model (ctrtrain or PyTorch) can reach; scripts/bench_cpu.sh turns it into a roofline.
// Usage: ctr_bench_fma_peak   -> prints "GFLOPS_PER_CORE <value>"
#include <chrono>
#include <cstdio>

namespace {

// 12 independent FMA chains: more than latency x issue width on current x86 cores, so the loop
// is throughput-bound. The vector type lets GCC pick the widest FMA the target_clones allow.
typedef float v16 __attribute__((vector_size(64)));

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), noinline))
double run(long iters) {
  v16 acc[12];
  const v16 mul = v16{} + 1.0000001f, add = v16{} + 1e-7f;
  for (int i = 0; i < 12; ++i) acc[i] = v16{} + static_cast<float>(i);
  for (long k = 0; k < iters; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = acc[i] * mul + add;
  }
  float sum = 0;
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 16; ++j) sum += acc[i][j];
  return sum;  // used, so the loop is not removed
}

}  // namespace

int main() {
  run(1000000);  // warm-up: let the clock settle
  // Best of five: a peak is the least-disturbed run, not the average.
  const long iters = 100000000;
  double best = 0, sink = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    sink += run(iters);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (iters * 12.0 * 16 * 2 / s / 1e9 > best) best = iters * 12.0 * 16 * 2 / s / 1e9;
  }
  std::printf("GFLOPS_PER_CORE %.1f\n", best + sink * 0.0);
  return 0;
}
