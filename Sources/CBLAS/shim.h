#ifndef KOINE_CBLAS_SHIM_H
#define KOINE_CBLAS_SHIM_H

// OpenBLAS's cblas.h also declares openblas_set_num_threads and
// openblas_get_num_threads, which Koine uses to keep one BLAS thread per rank.
#include <cblas.h>

#endif
