#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sampling from a categorical distribution over logits, row by row, with the
/// log-probability of the chosen action and the entropy that REINFORCE needs.
public enum Categorical {
    /// Fills `logProbabilities` with log-softmax(logits), picks one action per
    /// row (sampled, or the most likely when `greedy`), and writes that
    /// action's log-probability and the row's entropy.
    @inlinable
    public static func sample(
        logits: Matrix, logProbabilities: Matrix, actions: Indices,
        chosenLogProbabilities: UnsafeMutablePointer<Float>, entropies: UnsafeMutablePointer<Float>,
        random: inout Random, greedy: Bool = false
    ) {
        let width = logits.columns
        for r in 0..<logits.rows {
            let l = logProbabilities.row(r)
            Kernels.logSoftmax(row: logits.row(r), into: l, count: width)
            // One pass gives the entropy and, unless greedy, the sampled
            // action: each probability is computed once, in the order of the
            // cumulative sum the sample walks.
            let u: Float = greedy ? 0 : random.nextFloat()
            var entropy: Float = 0, cumulative: Float = 0
            var action = width - 1, sampled = greedy
            for j in 0..<width {
                let p = FastMath.exponentialOrZero(l[j])
                if p > 0 { entropy -= p * l[j] }   // 0·log 0 = 0 for masked (−∞) logits
                if !sampled {
                    // Rounding can leave Σp below u; then the last action
                    // that is possible (p > 0) is taken, never a masked one.
                    if p > 0 { action = j }
                    cumulative += p
                    if u < cumulative { sampled = true }
                }
            }
            entropies[r] = entropy
            if greedy { action = Kernels.argmax(l, count: width) }
            actions[r] = action
            chosenLogProbabilities[r] = l[action]
        }
    }

    /// ∂L/∂logits from ∂L/∂log p(action) and ∂L/∂entropy per row:
    /// ∂log p(a)/∂zⱼ = [j = a] − pⱼ, and ∂H/∂zⱼ = −pⱼ (log pⱼ + H).
    @inlinable
    public static func backward(
        logProbabilities: Matrix, actions: Indices, entropies: UnsafePointer<Float>,
        logProbabilityGradient: UnsafePointer<Float>, entropyGradient: UnsafePointer<Float>,
        logitGradient: Matrix, accumulate: Bool = false
    ) {
        let width = logProbabilities.columns
        for r in 0..<logProbabilities.rows {
            let l = logProbabilities.row(r), d = logitGradient.row(r)
            let gLog = logProbabilityGradient[r], gEntropy = entropyGradient[r], h = entropies[r]
            let action = actions[r]
            for j in 0..<width {
                let p = FastMath.exponentialOrZero(l[j])
                var value: Float = p > 0 ? -gLog * p - gEntropy * p * (l[j] + h) : 0
                if j == action { value += gLog }
                d[j] = accumulate ? d[j] + value : value
            }
        }
    }
}
