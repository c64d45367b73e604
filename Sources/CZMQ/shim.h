#ifndef KOINE_CZMQ_SHIM_H
#define KOINE_CZMQ_SHIM_H

#include <zmq.h>
#include <errno.h>

// errno is a macro over a thread-local function call in glibc.
static inline int koine_errno(void) { return errno; }
static inline int koine_eagain(void) { return EAGAIN; }
static inline int koine_eintr(void) { return EINTR; }

#endif
