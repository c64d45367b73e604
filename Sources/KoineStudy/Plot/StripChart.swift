import Foundation

/// One value per run, for each of a few conditions side by side: every run a
/// dot (spread sideways so equal values stay visible; its seed on hover), the
/// same seed joined across neighbouring conditions when they share seeds, and
/// beside the dots the mean with its 95% confidence interval. What a mean ± CI
/// hides — one seed that makes the direction, two clusters — shows here.
public struct StripChart {
    public struct Group {
        public var name: String
        /// (seed, value) per run; a nil seed joins nothing.
        public var runs: [(seed: Int?, value: Double)]
        public init(name: String, runs: [(seed: Int?, value: Double)]) {
            self.name = name
            self.runs = runs
        }
    }

    public var title: String
    public var yLabel: String
    public var groups: [Group]
    public var height = 420.0

    public init(title: String, yLabel: String, groups: [Group]) {
        self.title = title; self.yLabel = yLabel; self.groups = groups
    }

    /// Where dot `index` of a group lies sideways, in [−1, 1]: a low-discrepancy
    /// sequence, so the layout is the same every time and dots spread evenly.
    public static func offset(_ index: Int) -> Double {
        let golden = 0.618_033_988_749_895
        return (Double(index) * golden).truncatingRemainder(dividingBy: 1) * 2 - 1
    }

    public func svg() -> String {
        // Each condition's slot holds its label ("name (n=N)") on one line.
        let slotWidth = max(150, Double(groups.map(\.name.count).max() ?? 0) * 7 + 70)
        let width = max(Double(title.count) * 8 + 40, 100 + Double(groups.count) * slotWidth)
        let finite = groups.map { group in group.runs.filter { $0.value.isFinite } }
        let samples = finite.map { Sample($0.map(\.value)) }
        let values = finite.flatMap { $0.map(\.value) }
            + samples.compactMap { $0 }.flatMap { sample in sample.halfWidth.map { [sample.mean - $0, sample.mean + $0] } ?? [sample.mean] }
        let frame = PlotFrame(width: width, height: height, categories: groups.count, values: values)
        var out = svgOpening(width: width, height: height, title: title)
        out += frame.axes(xLabel: "", yLabel: escaped(yLabel))
        let slot = (frame.right - frame.left) / Double(max(groups.count, 1))
        // Dots sit in the left part of a condition's slot, the mean and interval to their right.
        func dotX(_ group: Int, _ index: Int) -> Double { frame.left + slot * (Double(group) + 0.38) + slot * 0.18 * Self.offset(index) }
        var positions: [[Int: (Double, Double)]] = []
        for (group, runs) in finite.enumerated() {
            var bySeed: [Int: (Double, Double)] = [:]
            for (index, run) in runs.enumerated() {
                if let seed = run.seed { bySeed[seed] = (dotX(group, index), frame.y(run.value)) }
            }
            positions.append(bySeed)
        }
        for group in positions.indices.dropFirst() {
            for (seed, to) in positions[group] {
                guard let from = positions[group - 1][seed] else { continue }
                out += "<line x1=\"\(format(from.0))\" y1=\"\(format(from.1))\" x2=\"\(format(to.0))\" y2=\"\(format(to.1))\" stroke=\"#bbb\" stroke-width=\"0.8\"/>\n"
            }
        }
        for (group, runs) in finite.enumerated() {
            let colour = LineChart.palette[group % LineChart.palette.count]
            for (index, run) in runs.enumerated() {
                out += "<circle cx=\"\(format(dotX(group, index)))\" cy=\"\(format(frame.y(run.value)))\" r=\"3.5\" fill=\"\(colour)\" fill-opacity=\"0.75\">"
                out += "<title>\(run.seed.map { "seed \($0): " } ?? "")\(String(format: "%.4g", run.value))</title></circle>\n"
            }
            let centre = frame.left + slot * (Double(group) + 0.78)
            if let sample = samples[group] {
                if let half = sample.halfWidth {
                    out += "<path d=\"M\(format(centre)) \(format(frame.y(sample.mean - half)))V\(format(frame.y(sample.mean + half)))"
                        + "M\(format(centre - 5)) \(format(frame.y(sample.mean - half)))h10M\(format(centre - 5)) \(format(frame.y(sample.mean + half)))h10\" stroke=\"#222\" stroke-width=\"1.5\" fill=\"none\"/>\n"
                }
                out += "<path d=\"M\(format(centre - 9)) \(format(frame.y(sample.mean)))h18\" stroke=\"#222\" stroke-width=\"3\"/>\n"
            }
            let label = "\(groups[group].name) (n=\(runs.count))"
            out += "<text x=\"\(format(frame.left + slot * (Double(group) + 0.5)))\" y=\"\(format(frame.bottom + 18))\" text-anchor=\"middle\">\(escaped(label))</text>\n"
            let skipped = groups[group].runs.count - runs.count
            if skipped > 0 {
                out += "<text x=\"\(format(frame.left + slot * (Double(group) + 0.5)))\" y=\"\(format(frame.bottom + 34))\" text-anchor=\"middle\" fill=\"#a00\">\(skipped) not finite, not drawn</text>\n"
            }
        }
        out += "<text x=\"\(format(frame.right))\" y=\"\(format(height - 8))\" text-anchor=\"end\" fill=\"#555\">dots: runs; grey lines: the same seed; bar: mean, 95% CI</text>\n"
        return out + "</svg>\n"
    }
}
