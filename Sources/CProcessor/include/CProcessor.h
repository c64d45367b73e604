#ifndef KOINE_CPROCESSOR_H
#define KOINE_CPROCESSOR_H

/// 1 when the processor and the operating system run the AVX-512 subsets
/// Koine's wide kernels are built for (F, VL, DQ, BW: Skylake-X, Ice Lake,
/// Sapphire Rapids, AMD Zen 4 and later), 0 otherwise (and on non-x86 machines).
int koine_processor_runs_avx512(void);

#endif
