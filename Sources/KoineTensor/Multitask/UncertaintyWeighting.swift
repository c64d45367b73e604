/// Uncertainty weighting of task losses (Kendall, Gal & Cipolla 2018): each
/// task i has a learned log variance sᵢ = log σᵢ², and the combined loss is
/// Σᵢ exp(−sᵢ)·Lᵢ + sᵢ — a noisy task (large Lᵢ) learns a large sᵢ and
/// weighs less, and the + sᵢ term keeps the weights from collapsing to zero.
/// (Kendall et al. write ½σ⁻²L + log σ for regression; this is the form
/// commonly used for classification, the same up to constant factors.)
public struct UncertaintyWeighting {
    /// sᵢ, a learned parameter of the model (1 × tasks), starting at 0.
    public let logVariances: Parameter

    public init(tasks: Int, parameters: Parameters) {
        precondition(tasks >= 1, "uncertainty weighting: \(tasks) tasks")
        logVariances = parameters.claim(rows: 1, columns: tasks, initializer: .zeros)
    }

    public var tasks: Int { logVariances.value.columns }

    /// exp(−sᵢ): what task i's loss, and so its gradient, is scaled by.
    public func weight(_ task: Int) -> Float { FastMath.exponential(-logVariances.value.base[task]) }

    /// The combined loss of the tasks' `losses`; accumulates ∂/∂sᵢ =
    /// 1 − exp(−sᵢ)·Lᵢ into the log variances' gradient. The tasks'
    /// parameters get their gradients by scaling each task's by `weight(i)`.
    @discardableResult
    public func combine(_ losses: UnsafeBufferPointer<Float>) -> Float {
        precondition(losses.count == tasks, "uncertainty weighting: \(losses.count) losses for \(tasks) tasks")
        var total: Float = 0
        for i in 0..<tasks {
            let s = logVariances.value.base[i], w = weight(i)
            total += w * losses[i] + s
            logVariances.gradient.base[i] += 1 - w * losses[i]
        }
        return total
    }
}
