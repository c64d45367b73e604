// libFuzzer's entry point for scripts/fuzz-plots: each input is read as the
// figures of stored rows (8-byte Doubles, any bit pattern: NaN, infinities,
// subnormals, ±1.7e308), drawn as a line chart (steps and values, with a band)
// and a strip chart (values of runs in two conditions) and summarised as a
// Sample, as `koine compare` and `koine report` do. Besides crashes it stops
// on a chart that is not numbers (printf's nan or inf) or a non-finite mean.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlotFigures(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let count = size / 8
    guard count >= 1 else { return 0 }
    var values = [Double](repeating: 0, count: count)
    for index in 0..<count {
        var bits: UInt64 = 0
        for byte in 0..<8 { bits |= UInt64(data[index * 8 + byte]) << (8 * byte) }
        values[index] = Double(bitPattern: bits)
    }
    let half = max(count / 2, 1)
    let points = (0..<half).map { index in
        LineChart.Point(x: values[index], y: values[(index + half) % count],
                        low: index % 3 == 0 ? nil : values[(index + 1) % count], high: values[(index + 2) % count])
    }
    var line = LineChart(title: "fuzz", xLabel: "step", yLabel: "figure",
                         series: [.init(name: "a", points: points, marks: Array(values.prefix(3)))])
    line.xFromZero = count % 2 == 0
    let strip = StripChart(title: "fuzz", yLabel: "figure", groups: [
        .init(name: "a", runs: values.prefix(half).enumerated().map { (seed: $0.offset, value: $0.element) }),
        .init(name: "b", runs: values.dropFirst(half).enumerated().map { (seed: $0.offset, value: $0.element) }),
    ])
    for svg in [line.svg(), strip.svg()] {
        // Numbers only: every coordinate and tick a finite figure.
        precondition(!svg.contains("nan") && !svg.contains("inf"), "a chart with a non-number:\n\(svg)")
    }
    if let sample = Sample(values) {
        precondition(sample.mean.isFinite, "a finite sample with a non-finite mean: \(values)")
    }
    return 0
}
