#ifndef KOINE_ALLOCATION_COUNTER_H
#define KOINE_ALLOCATION_COUNTER_H

#include <stdint.h>

// Number of malloc, calloc, realloc, posix_memalign and aligned_alloc calls
// made by this process since it started.
uint64_t koine_allocation_count(void);

#endif
