import XCTest

/// Central differences in Float values, losses summed in Double.
/// Tolerance: |analytic − numeric| ≤ 2e-2 · max(1, |analytic|, |numeric|),
/// checked on every value whose gradient or numeric estimate is not tiny.
func assertFiniteDifferences(values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int,
                             label: String, file: StaticString = #filePath, line: UInt = #line, loss: () -> Double) {
    // Small enough for the curvature of listeners hearing several distinct messages.
    let epsilon: Float = 3e-3
    var checked = 0
    for i in 0..<count {
        let analytic = Double(gradients[i])
        let saved = values[i]
        values[i] = saved + epsilon
        let plus = loss()
        values[i] = saved - epsilon
        let minus = loss()
        values[i] = saved
        let numeric = (plus - minus) / Double(2 * epsilon)
        if abs(analytic) < 1e-4 && abs(numeric) < 1e-4 { continue }
        checked += 1
        XCTAssertLessThanOrEqual(abs(analytic - numeric), 2e-2 * max(1, abs(analytic), abs(numeric)),
                                 "\(label): value \(i) analytic \(analytic) numeric \(numeric)", file: file, line: line)
    }
    XCTAssertGreaterThan(checked, count / 4, "\(label): too few values had a gradient", file: file, line: line)
}
