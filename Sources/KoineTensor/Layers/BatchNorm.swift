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

    /// What a training-mode forward keeps for its backward pass: per-channel
    /// figures only. The normalised values are recomputed from the input,
    /// which the caller keeps anyway, rather than stored (a copy of every
    /// activation of the stack).
    public struct Cache {
        /// The batch's mean and 1 / √(variance + epsilon).
        public let mean: UnsafeMutablePointer<Float>
        public let inverseDeviation: UnsafeMutablePointer<Float>
        /// y = x · slope + intercept before the optional ReLU.
        public let slope: UnsafeMutablePointer<Float>
        public let intercept: UnsafeMutablePointer<Float>
        /// Scratch: two sums and their partial sums over a block of rows.
        public let sums: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
        public let partialSums: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)

        public init(channels: Int, arena: Arena) {
            let perChannel = arena.floats(8 * channels)
            mean = perChannel
            inverseDeviation = perChannel + channels
            slope = perChannel + 2 * channels
            intercept = perChannel + 3 * channels
            sums = (perChannel + 4 * channels, perChannel + 5 * channels)
            partialSums = (perChannel + 6 * channels, perChannel + 7 * channels)
        }
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
    func pixels(_ x: Matrix) -> Matrix {
        precondition(x.isContiguous && x.columns % channels == 0, "batch norm: \(x.rows)×\(x.columns) is not pixels of \(channels) channels")
        return x.reshaped(rows: x.count / channels, columns: channels)
    }

    /// Training mode: normalises by the batch's statistics, then applies a
    /// ReLU when `rectified` (one pass instead of two), and, when
    /// `updateStatistics`, moves the running statistics towards the batch's by
    /// `momentum` (the running variance from the unbiased batch variance, as
    /// PyTorch). `y` must not be `x`: the backward pass reads `x` again.
    public func forwardTraining(_ x: Matrix, into y: Matrix, cache: Cache, rectified: Bool = false, updateStatistics: Bool = true) {
        let input = pixels(x), out = pixels(y)
        precondition(out.rows == input.rows && x.base != y.base, "batch norm: shapes of x and y differ, or y is x")
        let count = input.rows, width = channels
        let mean = cache.mean, inverse = cache.inverseDeviation
        // One pass over deviations from the first pixel: Σd and Σd² of
        // d = x − x₀ do not cancel catastrophically when the mean is large
        // against the spread, as Σx² − n·mean² would.
        let origin = cache.intercept   // scratch until the coefficients below
        origin.update(from: input.row(0), count: width)
        BatchNorm.columnSums(rows: count, columns: width, cache: cache) { r, deviations, squares in
            let a = input.row(r)
            for c in 0..<width {
                let d = a[c] - origin[c]
                deviations[c] += d
                squares[c] += d * d
            }
        }
        let variance = cache.slope   // scratch until the coefficients below
        for c in 0..<width {
            let shift = cache.sums.0[c] / Float(count)
            variance[c] = max(cache.sums.1[c] / Float(count) - shift * shift, 0)
            mean[c] = origin[c] + shift
            inverse[c] = 1 / (variance[c] + epsilon).squareRoot()
        }
        if updateStatistics {
            let unbiased = count > 1 ? Float(count) / Float(count - 1) : 1
            let movingMean = runningMean.value.base, movingVariance = runningVariance.value.base
            for c in 0..<width {
                movingMean[c] += momentum * (mean[c] - movingMean[c])
                movingVariance[c] += momentum * (variance[c] * unbiased - movingVariance[c])
            }
        }
        let gamma = scale.value.base, beta = shift.value.base
        for c in 0..<width {
            cache.slope[c] = gamma[c] * inverse[c]
            cache.intercept[c] = beta[c] - mean[c] * cache.slope[c]
        }
        BatchNorm.affine(input, into: out, slope: cache.slope, intercept: cache.intercept, rectified: rectified)
    }

    /// `y = x · slope + intercept` per channel, then max(·, 0) when `rectified`.
    static func affine(_ input: Matrix, into out: Matrix, slope: UnsafePointer<Float>, intercept: UnsafePointer<Float>, rectified: Bool) {
        let width = input.columns
        for r in 0..<input.rows {
            let a = input.row(r), b = out.row(r)
            if rectified {
                for c in 0..<width { b[c] = max(a[c] * slope[c] + intercept[c], 0) }
            } else {
                for c in 0..<width { b[c] = a[c] * slope[c] + intercept[c] }
            }
        }
    }

    /// Evaluation mode: normalises by the running statistics (then a ReLU
    /// when `rectified`). `y` may be `x`. `scratch` holds 2 × channels Floats.
    public func forwardEvaluation(_ x: Matrix, into y: Matrix, rectified: Bool = false, scratch: Cache) {
        let input = pixels(x), out = pixels(y)
        precondition(out.rows == input.rows, "batch norm: shapes of x and y differ")
        let gamma = scale.value.base, beta = shift.value.base
        let mean = runningMean.value.base, variance = runningVariance.value.base
        let slope = scratch.sums.0, intercept = scratch.sums.1
        for c in 0..<channels {
            slope[c] = gamma[c] / (variance[c] + epsilon).squareRoot()
            intercept[c] = beta[c] - mean[c] * slope[c]
        }
        BatchNorm.affine(input, into: out, slope: slope, intercept: intercept, rectified: rectified)
    }

    /// Backward through a training-mode forward of `x` (whose batch
    /// statistics depend on every row), with the same `rectified`: the ReLU's
    /// mask is recomputed from `x`. Accumulates the scale's and shift's
    /// gradients and writes `dx = scale · inverse deviation · (g − mean(g) − x̂ · mean(g · x̂))`,
    /// g being `dy` masked by the ReLU. `dx` may be `dy`.
    public func backwardTraining(_ x: Matrix, cache: Cache, outputGradient dy: Matrix, inputGradient dx: Matrix, rectified: Bool = false) {
        let input = pixels(x), gradients = pixels(dy), inputGradients = pixels(dx)
        precondition(gradients.rows == input.rows && inputGradients.rows == input.rows, "batch norm: shapes of x, dy and dx differ")
        let count = input.rows, width = channels
        let mean = cache.mean, inverse = cache.inverseDeviation, slope = cache.slope, intercept = cache.intercept
        // The flag is tested outside the loops, which then vectorise.
        if rectified {
            BatchNorm.columnSums(rows: count, columns: width, cache: cache) { r, sum, weighted in
                let a = input.row(r), g = gradients.row(r)
                for c in 0..<width {
                    let incoming = g[c]
                    let gradient = a[c] * slope[c] + intercept[c] > 0 ? incoming : 0
                    sum[c] += gradient
                    weighted[c] += gradient * (a[c] - mean[c]) * inverse[c]
                }
            }
        } else {
            BatchNorm.columnSums(rows: count, columns: width, cache: cache) { r, sum, weighted in
                let a = input.row(r), g = gradients.row(r)
                for c in 0..<width {
                    sum[c] += g[c]
                    weighted[c] += g[c] * (a[c] - mean[c]) * inverse[c]
                }
            }
        }
        let sum = cache.sums.0, weighted = cache.sums.1
        Kernels.axpy(1, sum, shift.gradient.base, count: width)
        Kernels.axpy(1, weighted, scale.gradient.base, count: width)
        let gamma = scale.value.base
        let perRow = 1 / Float(count)
        // dx = slope · g − slope · mean(g) − slope · inverse · mean(g · x̂) · (x − mean), as a · g + b · x + c per channel.
        let offset = cache.partialSums.0, weight = cache.partialSums.1   // scratch now
        for c in 0..<width {
            let meanGradient = sum[c] * perRow, meanWeighted = weighted[c] * perRow
            weight[c] = -gamma[c] * inverse[c] * inverse[c] * meanWeighted
            offset[c] = -gamma[c] * inverse[c] * meanGradient - weight[c] * mean[c]
        }
        for r in 0..<count {
            let a = input.row(r), g = gradients.row(r), d = inputGradients.row(r)
            if rectified {
                // Every load before the select, so the loop vectorises to a blend.
                for c in 0..<width {
                    let value = a[c], scaled = slope[c] * g[c], linear = weight[c] * value + offset[c]
                    d[c] = (value * slope[c] + intercept[c] > 0 ? scaled : 0) + linear
                }
            } else {
                for c in 0..<width { d[c] = slope[c] * g[c] + weight[c] * a[c] + offset[c] }
            }
        }
    }

    /// Rows per block of the column sums: each block is summed in Float and
    /// added to the totals, so no running sum grows over more than a block's
    /// worth of terms (a plain running sum over 100,000 pixels loses digits).
    static var block: Int { 256 }

    /// Two per-channel sums over `rows` rows into `cache.sums`, blocked:
    /// `add(row, first, second)` adds one row's terms to a block's partial sums.
    static func columnSums(rows: Int, columns: Int, cache: Cache,
                           _ add: (_ row: Int, _ first: UnsafeMutablePointer<Float>, _ second: UnsafeMutablePointer<Float>) -> Void) {
        let (first, second) = cache.sums, (partialFirst, partialSecond) = cache.partialSums
        first.update(repeating: 0, count: columns)
        second.update(repeating: 0, count: columns)
        var start = 0
        while start < rows {
            let end = min(start + block, rows)
            partialFirst.update(repeating: 0, count: columns)
            partialSecond.update(repeating: 0, count: columns)
            for r in start..<end { add(r, partialFirst, partialSecond) }
            for c in 0..<columns {
                first[c] += partialFirst[c]
                second[c] += partialSecond[c]
            }
            start = end
        }
    }
}
