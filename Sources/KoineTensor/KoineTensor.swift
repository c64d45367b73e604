// KoineTensor: Float32 matrices, BLAS, layers and optimizers.
