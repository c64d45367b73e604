#ifndef KOINE_CBLAS_SHIM_H
#define KOINE_CBLAS_SHIM_H

// OpenBLAS's cblas.h also declares openblas_set_num_threads and
// openblas_get_num_threads, which Koine uses to keep one BLAS thread per rank.
#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

// Treats subnormal floats as zero in this thread's arithmetic (SSE's FTZ and
// DAZ bits). Tiny gradients otherwise slow every product that touches them
// by orders of magnitude; at this scale they carry no information.
static inline void koine_flush_subnormals(void) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
}

#endif
