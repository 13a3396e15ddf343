// CTR_TARGET_CLONES: a hot loop compiled for AVX-512, AVX2 and plain x86-64, the loader picking the
// widest the CPU has, so one binary runs on any x86-64 and still uses the vector units it finds.
#pragma once

#if defined(__clang__)
// Clang 14 cannot clone function templates. Clang builds are the sanitizer and fuzz builds
// (docs/reliability.md), where speed is not the point: they get the plain x86-64 loop.
#define CTR_TARGET_CLONES
#else
#define CTR_TARGET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
