/// The listener loss of Havrylov & Titov (2017): for each distractor k,
/// max(0, margin − s_target + s_k), summed over distractors, averaged over rows.
public enum HingeLoss {
    @inlinable
    public static func forward(scores: Matrix, targets: Indices, margin: Float = 1) -> Float {
        var total: Float = 0
        for r in 0..<scores.rows {
            let s = scores.row(r), t = targets[r]
            for k in 0..<scores.columns where k != t { total += max(0, margin - s[t] + s[k]) }
        }
        return total / Float(scores.rows)
    }

    @inlinable
    public static func backward(scores: Matrix, targets: Indices, scoreGradient: Matrix, margin: Float = 1, scale: Float? = nil) {
        let s = scale ?? 1 / Float(scores.rows)
        for r in 0..<scores.rows {
            let x = scores.row(r), d = scoreGradient.row(r), t = targets[r]
            for k in 0..<scores.columns { d[k] = 0 }
            for k in 0..<scores.columns where k != t && margin - x[t] + x[k] > 0 {
                d[k] += s
                d[t] -= s
            }
        }
    }
}
