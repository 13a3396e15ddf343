// CTR_HOST_DEVICE and exactly rounded arithmetic for code shared by the CPU and CUDA kernels.
// A function marked CTR_HOST_DEVICE compiles for both, so a CPU loop and the kernel twinned with
// it run one definition. Its products and sums go through rn:: because nvcc would otherwise fuse
// a*b+c into one FMA (rounded once), which the CPU, built with -ffp-contract=off, never does;
// with rn:: both round every operation alike and the backends agree bit for bit.
#pragma once

#include <cmath>

#if defined(__CUDACC__)
#define CTR_HOST_DEVICE __host__ __device__
#else
#define CTR_HOST_DEVICE
#endif

namespace ctr::rn {

#if defined(__CUDA_ARCH__)
CTR_HOST_DEVICE inline float add(float a, float b) { return __fadd_rn(a, b); }
CTR_HOST_DEVICE inline float sub(float a, float b) { return __fsub_rn(a, b); }
CTR_HOST_DEVICE inline float mul(float a, float b) { return __fmul_rn(a, b); }
CTR_HOST_DEVICE inline float div(float a, float b) { return __fdiv_rn(a, b); }
CTR_HOST_DEVICE inline float sqrt(float a) { return __fsqrt_rn(a); }
CTR_HOST_DEVICE inline double add(double a, double b) { return __dadd_rn(a, b); }
CTR_HOST_DEVICE inline double sub(double a, double b) { return __dsub_rn(a, b); }
CTR_HOST_DEVICE inline double mul(double a, double b) { return __dmul_rn(a, b); }
CTR_HOST_DEVICE inline double div(double a, double b) { return __ddiv_rn(a, b); }
CTR_HOST_DEVICE inline double sqrt(double a) { return __dsqrt_rn(a); }
#else
template <class T> CTR_HOST_DEVICE inline T add(T a, T b) { return a + b; }
template <class T> CTR_HOST_DEVICE inline T sub(T a, T b) { return a - b; }
template <class T> CTR_HOST_DEVICE inline T mul(T a, T b) { return a * b; }
template <class T> CTR_HOST_DEVICE inline T div(T a, T b) { return a / b; }
template <class T> CTR_HOST_DEVICE inline T sqrt(T a) { return std::sqrt(a); }
#endif

// A double narrowed to T, rounded to nearest (static_cast's rounding on the host).
template <class T>
CTR_HOST_DEVICE inline T narrow(double x) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == sizeof(float)) return __double2float_rn(x);
  else return x;
#else
  return static_cast<T>(x);
#endif
}

}  // namespace ctr::rn
