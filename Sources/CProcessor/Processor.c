#include "CProcessor.h"

int koine_processor_runs_avx512(void) {
#if defined(__x86_64__)
    // The compiler's runtime checks both CPUID and that the kernel saves the
    // 512-bit registers (XGETBV), so a flag the OS does not support reads 0.
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
#else
    return 0;
#endif
}
