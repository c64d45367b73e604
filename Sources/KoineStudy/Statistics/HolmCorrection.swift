/// Holm's step-down correction of p-values for many tests (Holm 1979): the
/// smallest is multiplied by m, the next by m − 1, and so on, each kept at
/// least as large as the one before and at most 1. It controls the chance of
/// any false positive among the m tests, as Bonferroni does, with more power.
public enum HolmCorrection {
    /// The adjusted p-values, in the order given.
    public static func adjusted(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (position, index) in order.enumerated() {
            running = max(running, min(1, Double(m - position) * pValues[index]))
            adjusted[index] = running
        }
        return adjusted
    }
}
