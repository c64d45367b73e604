import Foundation

/// The pre-registered study as `koine compare --study` prints it: the plan's
/// endpoints decided first, then (by the caller) everything else as exploratory.
extension StudyReport {
    public var table: String {
        var out = plan.heading
        out += "Runs found: " + found.map { "\($0.condition) \($0.finished) finished"
            + ($0.unfinished > 0 ? " (\($0.unfinished) unfinished)" : "") }.joined(separator: ", ") + "\n"
        for family in ["primary", "secondary"] {
            let rows = results.filter { $0.family == family }
            guard !rows.isEmpty else { continue }
            out += "\n" + (family == "primary" ? "Primary" : "Secondary") + " endpoint" + (rows.count > 1 ? "s" : "") + ":\n"
            let pending = rows.filter(\.pending).count
            if pending == rows.count {
                out += "  interim: " + (rows.count > 1 ? "all \(rows.count) pending" : "pending") + "\n"
            } else if pending > 0 {
                out += "  interim: \(pending) of \(rows.count) pending"
                    + (plan.holm && rows.count > 1 ? "; Holm's correction over the \(rows.count - pending) decided only (the final one, over all \(rows.count), can only be as large or larger)" : "")
                    + "\n"
            }
            for row in rows { out += Self.text(row, alpha: plan.alpha, holm: plan.holm) }
        }
        return out
    }

    static func text(_ row: Result, alpha: Double, holm: Bool) -> String {
        let endpoint = row.endpoint
        var out = "  \(endpoint.figure), \(endpoint.first) − \(endpoint.second), \(endpoint.test.rawValue): "
        if row.pending {
            return out + "pending (no runs of " + row.pendingConditions.joined(separator: " or ") + " yet)\n"
        }
        let sizes = endpoint.test == .pairedT || endpoint.test == .wilcoxon
            ? "\(row.pairs) pairs" : "n = \(row.runs[0]), \(row.runs[1])"
        guard let p = row.p, let difference = row.difference else {
            return out + "not enough runs to test (\(sizes))\n"
        }
        out += String(format: "difference %+.4f", difference)
        if let low = row.low, let high = row.high { out += String(format: " (95%% CI %+.4f to %+.4f)", low, high) }
        out += ", \(sizes), \(row.statistic ?? ""), p = \(Self.p(p))"
        if holm, let adjusted = row.adjustedP { out += ", Holm p = \(Self.p(adjusted))" }
        out += "\n    → " + (row.significant == true
            ? "a difference at α = \(Self.number(alpha))"
            : "no difference detected at α = \(Self.number(alpha))") + "\n"
        if let effect = endpoint.effect, let spread = endpoint.standardDeviation {
            out += "    power: " + (row.power.map { String(format: "%.2f", $0) } ?? "—")
                + " to detect \(Self.number(effect)) at sd \(Self.number(spread)) with these runs (two-sample t, α = \(Self.number(alpha)))"
                + (row.runsNeeded.map { "; 80% needs \($0) runs per condition" } ?? "") + "\n"
        }
        return out
    }

    static func p(_ value: Double) -> String { value < 0.0001 ? String(format: "%.1e", value) : String(format: "%.4f", value) }
    static func number(_ value: Double) -> String { String(format: "%g", value) }
}

extension StudyPlan {
    /// The registration as the file states it.
    var heading: String {
        var out = "Pre-registered study: \(title)" + (registered.map { " (registered \($0))" } ?? "") + ", \(source)\n"
        out += "α = \(StudyReport.number(alpha))" + (holm ? ", Holm's correction within the primary and within the secondary endpoints" : ", no correction")
        if seeds != nil || steps != nil {
            out += "; planned: " + [seeds.map { "seeds \($0)" }, steps.map { "\($0) steps" }].compactMap { $0 }.joined(separator: ", ")
        }
        return out + "\n"
    }

    /// The plan alone (`koine compare --study FILE` without runs): each
    /// endpoint and the power of its planned effect at the planned seeds.
    public var summary: String {
        var out = heading
        for (family, endpoints) in [("primary", primary), ("secondary", secondary)] where !endpoints.isEmpty {
            out += "\n\(family):\n"
            for endpoint in endpoints {
                let planned = (endpoint.seeds ?? seeds).flatMap { try? SeedList.parse($0).count }
                out += "  \(endpoint.figure), \(endpoint.first) − \(endpoint.second), \(endpoint.test.rawValue)"
                if let own = endpoint.seeds { out += ", seeds \(own)" }
                if let effect = endpoint.effect, let spread = endpoint.standardDeviation {
                    let d = effect / spread
                    out += "; effect \(StudyReport.number(effect)) at sd \(StudyReport.number(spread))"
                    if let needed = TwoSampleTPower.runsNeeded(effect: d, power: 0.8, alpha: alpha) { out += ": 80% power needs \(needed) runs per condition" }
                    if let planned, planned >= 2 {
                        out += String(format: "; %d planned give power %.2f", planned,
                                      TwoSampleTPower.power(effect: d, perGroup: Double(planned), alpha: alpha))
                    }
                }
                out += "\n"
            }
        }
        return out
    }
}

extension StudyReport {
    /// What follows the pre-registered endpoints.
    public static let exploratoryHeading =
        "Exploratory (not pre-registered: every figure and pair below; their p-values describe, they do not decide):\n"

    /// `--json` with `--study`: the decided endpoints and the whole comparison.
    public static func json(_ report: StudyReport, exploratory: Comparison) -> String {
        let encoder = Comparison.jsonEncoder()
        struct Document: Encodable {
            let study: StudyReport
            let exploratory: Comparison
        }
        return String(decoding: (try? encoder.encode(Document(study: report, exploratory: exploratory))) ?? Data(), as: UTF8.self) + "\n"
    }
}
