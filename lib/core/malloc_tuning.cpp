// keep_freed_memory_in_process: glibc mallopt settings (see the header for why).
#include "core/malloc_tuning.h"

#include <cstdlib>  // any C library header defines __GLIBC__ under glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ctr {

void keep_freed_memory_in_process() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the most every glibc accepts; fixed, it stops sliding
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // give memory back only above 1 GB free at the top
#endif
}

}  // namespace ctr
