// CTR_CUBLAS_CHECK: every cuBLAS call goes through this; a failure throws ctr::Error with our
// file, line, the call and the status name, like CTR_CUDA_CHECK does for the runtime.
#pragma once

#include <cublas_v2.h>

#include "core/error.h"

namespace ctr::cuda {
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line);
}

#define CTR_CUBLAS_CHECK(call)                                                                    \
  do {                                                                                            \
    cublasStatus_t ctr_status_ = (call);                                                          \
    if (ctr_status_ != CUBLAS_STATUS_SUCCESS)                                                     \
      ::ctr::cuda::throw_cublas_error(ctr_status_, #call, __FILE__, __LINE__);                    \
  } while (0)
