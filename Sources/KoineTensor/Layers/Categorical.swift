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
        var first = 0
        if width >= 1 && width <= RowGroup.widest {
            while first + RowGroup.count <= logits.rows {
                sampleGroup(logits: logits, logProbabilities: logProbabilities, first: first, actions: actions,
                            chosenLogProbabilities: chosenLogProbabilities, entropies: entropies, random: &random, greedy: greedy)
                first += RowGroup.count
            }
        }
        for r in first..<logits.rows {
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

    /// Eight rows at once, one a lane: what the loop over single rows does to
    /// each row, in the same order (each lane's sums run over the columns in
    /// turn, the uniform draws are taken in row order), so the two agree bit for
    /// bit. Narrow rows (a listener's few candidates, a small vocabulary) are
    /// too short for vectors along them, and their sampling branches
    /// unpredictably; across rows neither holds.
    @inlinable
    static func sampleGroup(
        logits: Matrix, logProbabilities: Matrix, first: Int, actions: Indices,
        chosenLogProbabilities: UnsafeMutablePointer<Float>, entropies: UnsafeMutablePointer<Float>,
        random: inout Random, greedy: Bool
    ) {
        typealias Lanes = RowGroup.Lanes
        let width = logits.columns
        let x = RowGroup(logits, first: first), l = RowGroup(logProbabilities, first: first)
        var largest = x.load(0)
        for j in 1..<max(width, 1) {
            let value = x.load(j)
            largest.replace(with: value, where: value .> largest)
        }
        var sum = Lanes()
        for j in 0..<width { sum += FastMath.exponentialOrZero(x.load(j) - largest) }
        var logSum = Lanes()
        for i in 0..<RowGroup.count { logSum[i] = logf(sum[i]) }
        for j in 0..<width { l.store((x.load(j) - largest) - logSum, j) }
        var u = Lanes()
        if !greedy { for i in 0..<RowGroup.count { u[i] = random.nextFloat() } }
        var entropy = Lanes(), cumulative = Lanes()
        // Actions as Floats (small integers, exact), so every mask comes from a Float comparison.
        var action = Lanes(repeating: Float(width - 1)), open = SIMDMask<SIMD8<Int32>>(repeating: !greedy)
        var best = Lanes(), bestValue = l.load(0)
        for j in 0..<width {
            let logProbability = l.load(j), p = FastMath.exponentialOrZero(logProbability)
            let possible = p .> 0
            entropy.replace(with: entropy - p * logProbability, where: possible)
            let column = Lanes(repeating: Float(j))
            action.replace(with: column, where: open .& possible)
            cumulative.replace(with: cumulative + p, where: open)
            open = open .& .!(u .< cumulative)
            best.replace(with: column, where: logProbability .> bestValue)
            bestValue.replace(with: logProbability, where: logProbability .> bestValue)
        }
        if greedy { action = best }
        for i in 0..<RowGroup.count {
            let r = first + i, chosen = Int(action[i])
            entropies[r] = entropy[i]
            actions[r] = chosen
            chosenLogProbabilities[r] = logProbabilities.row(r)[chosen]
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
        var first = 0
        if width >= 1 && width <= RowGroup.widest {
            while first + RowGroup.count <= logProbabilities.rows {
                backwardGroup(logProbabilities: logProbabilities, first: first, actions: actions, entropies: entropies,
                              logProbabilityGradient: logProbabilityGradient, entropyGradient: entropyGradient,
                              logitGradient: logitGradient, accumulate: accumulate)
                first += RowGroup.count
            }
        }
        for r in first..<logProbabilities.rows {
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

extension Categorical {
    /// `backward` for eight rows at once, one a lane, each as the loop over
    /// single rows computes it (see `sampleGroup`).
    @inlinable
    static func backwardGroup(
        logProbabilities: Matrix, first: Int, actions: Indices, entropies: UnsafePointer<Float>,
        logProbabilityGradient: UnsafePointer<Float>, entropyGradient: UnsafePointer<Float>,
        logitGradient: Matrix, accumulate: Bool
    ) {
        typealias Lanes = RowGroup.Lanes
        let l = RowGroup(logProbabilities, first: first), d = RowGroup(logitGradient, first: first)
        // Actions as Floats (small integers, exact): masks from Float comparisons
        // stay in vector registers, where Int32 ones were built lane by lane.
        var gLog = Lanes(), gEntropy = Lanes(), h = Lanes(), action = Lanes()
        for i in 0..<RowGroup.count {
            gLog[i] = logProbabilityGradient[first + i]
            gEntropy[i] = entropyGradient[first + i]
            h[i] = entropies[first + i]
            action[i] = Float(actions[first + i])
        }
        for j in 0..<logProbabilities.columns {
            let logProbability = l.load(j), p = FastMath.exponentialOrZero(logProbability)
            var value = (-gLog * p - gEntropy * p * (logProbability + h)).replacing(with: 0, where: .!(p .> 0))
            value.replace(with: value + gLog, where: action .== Float(j))
            d.store(accumulate ? d.load(j) + value : value, j)
        }
    }
}

/// A column of eight consecutive rows of a matrix, loaded into and stored
/// from one vector's lanes.
@usableFromInline
struct RowGroup {
    @usableFromInline typealias Lanes = SIMD8<Float>
    @usableFromInline static let count = 8
    /// The widest rows taken eight at a time; wider ones vectorise along the row.
    @usableFromInline static let widest = 16
    @usableFromInline let base: UnsafeMutablePointer<Float>
    @usableFromInline let stride: Int

    @inlinable @inline(__always)
    init(_ matrix: Matrix, first: Int) {
        base = matrix.row(first)
        stride = matrix.stride
    }

    @inlinable @inline(__always)
    func load(_ column: Int) -> Lanes {
        let p = base + column
        return Lanes(p[0], p[stride], p[2 * stride], p[3 * stride], p[4 * stride], p[5 * stride], p[6 * stride], p[7 * stride])
    }

    @inlinable @inline(__always)
    func store(_ value: Lanes, _ column: Int) {
        let p = base + column
        for i in 0..<RowGroup.count { p[i * stride] = value[i] }
    }
}
