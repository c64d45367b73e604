/// Batch normalisation over channels: every channel of every pixel is
/// normalised by its channel's mean and variance, then scaled and shifted,
/// `y = scale · (x − mean) / √(variance + epsilon) + shift`. Training mode
/// uses the batch's statistics and moves the running statistics towards them;
/// evaluation mode uses the running statistics. `x` is a contiguous batch
/// whose rows hold whole pixels (`channels` Floats each, as an NHWC image
/// batch or a batch of vectors), so a channel is a column of the pixel view.
///
/// The running statistics are state, not learned: they are claimed from a
/// second `Parameters` block (`statistics`), so the optimizer and the
/// gradient all-reduce never see them, while checkpoints, resets and
/// checksums treat them as one span like the parameters.
public struct BatchNorm {
    public let channels: Int
    public let momentum: Float
    public let epsilon: Float
    public let scale: Parameter             // 1 × channels, starts at 1
    public let shift: Parameter             // 1 × channels, starts at 0
    public let runningMean: Parameter       // 1 × channels, starts at 0
    public let runningVariance: Parameter   // 1 × channels, starts at 1

    /// What a training-mode forward keeps for its backward pass.
    public struct Cache {
        /// (x − mean) / √(variance + epsilon), the shape of x.
        public let normalized: Matrix
        /// The batch's mean, 1 / √(variance + epsilon), two sums of the
        /// backward pass and a block's partial sums, per channel.
        public let mean: UnsafeMutablePointer<Float>
        public let inverseDeviation: UnsafeMutablePointer<Float>
        public let gradientSum: UnsafeMutablePointer<Float>
        public let weightedGradientSum: UnsafeMutablePointer<Float>
        public let partialSum: UnsafeMutablePointer<Float>

        /// For up to `batch` rows of `width` Floats (`width` a multiple of `channels`).
        public init(batch: Int, width: Int, channels: Int, arena: Arena) {
            precondition(width % channels == 0, "batch norm: rows of \(width) Floats are not pixels of \(channels) channels")
            normalized = arena.matrix(rows: batch, columns: width)
            let perChannel = arena.floats(5 * channels)
            mean = perChannel
            inverseDeviation = perChannel + channels
            gradientSum = perChannel + 2 * channels
            weightedGradientSum = perChannel + 3 * channels
            partialSum = perChannel + 4 * channels
        }

        private init(normalized: Matrix, from cache: Cache) {
            self.normalized = normalized
            mean = cache.mean
            inverseDeviation = cache.inverseDeviation
            gradientSum = cache.gradientSum
            weightedGradientSum = cache.weightedGradientSum
            partialSum = cache.partialSum
        }

        /// The first `rows` rows, for a smaller batch.
        public func prefix(_ rows: Int) -> Cache { Cache(normalized: normalized.rows(0..<rows), from: self) }
    }

    public static func parameterCount(channels: Int) -> Int { 2 * channels }
    public static func statisticCount(channels: Int) -> Int { 2 * channels }

    /// PyTorch's `nn.BatchNorm2d` defaults: scale 1, shift 0, running mean 0,
    /// running variance 1, momentum 0.1, epsilon 1e-5.
    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, parameters: Parameters, statistics: Parameters) {
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        scale = parameters.claim(rows: 1, columns: channels, initializer: .constant(1))
        shift = parameters.claim(rows: 1, columns: channels, initializer: .zeros)
        runningMean = statistics.claim(rows: 1, columns: channels, initializer: .zeros)
        runningVariance = statistics.claim(rows: 1, columns: channels, initializer: .constant(1))
    }

    /// `x` seen as one pixel per row.
    @inlinable
    func pixels(_ x: Matrix) -> Matrix {
        precondition(x.isContiguous && x.columns % channels == 0, "batch norm: \(x.rows)×\(x.columns) is not pixels of \(channels) channels")
        return x.reshaped(rows: x.count / channels, columns: channels)
    }

    /// Training mode: normalises by the batch's statistics and, when
    /// `updateStatistics`, moves the running ones towards them by `momentum`
    /// (the running variance from the unbiased batch variance, as PyTorch).
    @inlinable
    public func forwardTraining(_ x: Matrix, into y: Matrix, cache: Cache, updateStatistics: Bool = true) {
        let input = pixels(x), out = pixels(y), normalized = pixels(cache.normalized)
        precondition(out.rows == input.rows && normalized.rows == input.rows, "batch norm: shapes of x, y and cache differ")
        let count = input.rows
        let mean = cache.mean, inverse = cache.inverseDeviation
        // Two passes (mean, then squared deviations) rather than Σx² − n·mean²,
        // which cancels catastrophically when the mean is large.
        BatchNorm.columnSums(rows: count, columns: channels, into: mean, partial: cache.partialSum) { r, c in input[r, c] }
        for c in 0..<channels { mean[c] /= Float(count) }
        BatchNorm.columnSums(rows: count, columns: channels, into: inverse, partial: cache.partialSum) { r, c in
            (input[r, c] - mean[c]) * (input[r, c] - mean[c])
        }
        let variance = cache.gradientSum   // scratch until the backward pass
        for c in 0..<channels {
            variance[c] = inverse[c] / Float(count)
            inverse[c] = 1 / (variance[c] + epsilon).squareRoot()
        }
        let gamma = scale.value.base, beta = shift.value.base
        for r in 0..<count {
            let a = input.row(r), n = normalized.row(r), b = out.row(r)
            for c in 0..<channels {
                let value = (a[c] - mean[c]) * inverse[c]
                n[c] = value
                b[c] = gamma[c] * value + beta[c]
            }
        }
        if updateStatistics {
            let unbiased = count > 1 ? Float(count) / Float(count - 1) : 1
            let movingMean = runningMean.value.base, movingVariance = runningVariance.value.base
            for c in 0..<channels {
                movingMean[c] += momentum * (mean[c] - movingMean[c])
                movingVariance[c] += momentum * (variance[c] * unbiased - movingVariance[c])
            }
        }
    }

    /// Evaluation mode: normalises by the running statistics.
    @inlinable
    public func forwardEvaluation(_ x: Matrix, into y: Matrix) {
        let input = pixels(x), out = pixels(y)
        precondition(out.rows == input.rows, "batch norm: shapes of x and y differ")
        let gamma = scale.value.base, beta = shift.value.base
        let mean = runningMean.value.base, variance = runningVariance.value.base
        for r in 0..<input.rows {
            let a = input.row(r), b = out.row(r)
            for c in 0..<channels { b[c] = gamma[c] * (a[c] - mean[c]) / (variance[c] + epsilon).squareRoot() + beta[c] }
        }
    }

    /// Backward through a training-mode forward (whose batch statistics
    /// depend on every row): accumulates the scale's and shift's gradients and
    /// writes `dx = scale · inverse deviation · (dy − mean(dy) − x̂ · mean(dy · x̂))`.
    /// `dx` may be `dy`.
    @inlinable
    public func backwardTraining(cache: Cache, outputGradient dy: Matrix, inputGradient dx: Matrix) {
        let gradients = pixels(dy), inputGradients = pixels(dx), normalized = pixels(cache.normalized)
        precondition(gradients.rows == normalized.rows && inputGradients.rows == normalized.rows, "batch norm: shapes of dy, dx and cache differ")
        let count = normalized.rows
        let sum = cache.gradientSum, weighted = cache.weightedGradientSum
        BatchNorm.columnSums(rows: count, columns: channels, into: sum, partial: cache.partialSum) { r, c in gradients[r, c] }
        BatchNorm.columnSums(rows: count, columns: channels, into: weighted, partial: cache.partialSum) { r, c in
            gradients[r, c] * normalized[r, c]
        }
        Kernels.axpy(1, sum, shift.gradient.base, count: channels)
        Kernels.axpy(1, weighted, scale.gradient.base, count: channels)
        let gamma = scale.value.base, inverse = cache.inverseDeviation
        let perRow = 1 / Float(count)
        for c in 0..<channels {
            sum[c] *= perRow
            weighted[c] *= perRow
        }
        for r in 0..<count {
            let g = gradients.row(r), n = normalized.row(r), d = inputGradients.row(r)
            for c in 0..<channels { d[c] = gamma[c] * inverse[c] * (g[c] - sum[c] - n[c] * weighted[c]) }
        }
    }

    /// Rows per block of the column sums: each block is summed in Float and
    /// added to the totals, so no running sum grows over more than a block's
    /// worth of terms (a plain running sum over 100,000 pixels loses digits).
    @inlinable static var block: Int { 256 }

    /// `sums[c] = Σ_r term(r, c)` over `rows` rows, blocked: `partial` holds a block's sums.
    @inlinable
    static func columnSums(rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>, partial: UnsafeMutablePointer<Float>,
                           _ term: (_ row: Int, _ column: Int) -> Float) {
        sums.update(repeating: 0, count: columns)
        var first = 0
        while first < rows {
            let last = min(first + block, rows)
            partial.update(repeating: 0, count: columns)
            for r in first..<last {
                for c in 0..<columns { partial[c] += term(r, c) }
            }
            for c in 0..<columns { sums[c] += partial[c] }
            first = last
        }
    }
}
