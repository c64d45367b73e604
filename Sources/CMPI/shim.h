#ifndef KOINE_CMPI_SHIM_H
#define KOINE_CMPI_SHIM_H

#include <mpi.h>

// Open MPI defines its handles as macros over internal symbols, which Swift
// cannot import; these accessors give each one a name Swift can call.

static inline MPI_Comm koine_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm koine_mpi_comm_null(void) { return MPI_COMM_NULL; }

static inline MPI_Datatype koine_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype koine_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype koine_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype koine_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype koine_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype koine_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype koine_mpi_char(void) { return MPI_CHAR; }

static inline MPI_Op koine_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op koine_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op koine_mpi_min(void) { return MPI_MIN; }
static inline MPI_Op koine_mpi_bxor(void) { return MPI_BXOR; }

static inline void *koine_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *koine_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *koine_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline MPI_Request koine_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Errhandler koine_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Errhandler koine_mpi_errors_are_fatal(void) { return MPI_ERRORS_ARE_FATAL; }

static inline int koine_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int koine_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int koine_mpi_success(void) { return MPI_SUCCESS; }
static inline int koine_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int koine_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int koine_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

#endif
