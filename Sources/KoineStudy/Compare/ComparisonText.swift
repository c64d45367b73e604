import Foundation

/// `koine compare`'s outputs as text: the table people read, CSV for
/// spreadsheets, JSON for programs. n stands beside every figure.
extension Comparison {
    public var table: String {
        var out = ""
        for condition in conditions {
            out += "\(condition.name): \(condition.finished) finished run(s)"
                + (condition.unfinished > 0 ? ", \(condition.unfinished) unfinished (curves only)" : "") + "\n"
            out += pad("  figure", 24) + pad("final", 30) + "mean of last \(Self.lastEvaluationCount) evaluations\n"
            for figure in condition.figures where figure.final != nil || figure.lastEvaluations != nil {
                out += pad("  " + figure.name, 24) + pad(Self.text(figure.final), 30) + Self.text(figure.lastEvaluations) + "\n"
            }
            for above in condition.above {
                out += pad("  " + above.figure + " > " + String(format: "%g", above.threshold), 24)
                out += above.runs.map { String(format: "%d of %d runs (%.2f, 95%% CI %.2f–%.2f)", $0.count, $0.n, $0.fraction, $0.low, $0.high) }
                    ?? "no finished run has it"
                out += "\n"
            }
            out += "\n"
        }
        var pair: (String, String)?
        for test in tests where test.final != nil || test.lastEvaluations != nil {
            if pair == nil || pair! != (test.first, test.second) {
                pair = (test.first, test.second)
                out += "Welch's t-test, \(test.first) − \(test.second):\n"
            }
            let sizes = "n = \(size(test.first, test.figure, \.final)), \(size(test.second, test.figure, \.final))"
            out += pad("  " + test.figure, 24) + pad("final " + Self.text(test.final) + " (\(sizes))", 56)
                + "last \(Self.lastEvaluationCount): " + Self.text(test.lastEvaluations) + "\n"
            if let more = Self.robustText(test) { out += pad("", 24) + more + "\n" }
        }
        if tests.isEmpty && conditions.count > Self.allPairsUpTo {
            out += "(\(conditions.count) conditions: name the pairs to test with --versus A B)\n"
        }
        return out
    }

    /// conditions.csv: one row per condition, figure and statistic.
    public var conditionsCSV: String {
        var out = "condition,figure,statistic,n,mean,sd,ci_low,ci_high\n"
        for condition in conditions {
            for figure in condition.figures {
                for (statistic, sample) in [("final", figure.final), ("last_evaluations", figure.lastEvaluations)] {
                    guard let sample else { continue }
                    let sd = sample.standardDeviation.map { "\($0)" } ?? ""
                    let (low, high) = sample.halfWidth.map { ("\(sample.mean - $0)", "\(sample.mean + $0)") } ?? ("", "")
                    out += [csv(condition.name), figure.name, statistic, "\(sample.n)", "\(sample.mean)", sd, low, high]
                        .joined(separator: ",") + "\n"
                }
            }
        }
        return out
    }

    /// tests.csv: one row per pair, figure and statistic.
    /// tests.csv: one row per pair, figure and test (Welch's on the final values
    /// and on the last evaluations, the paired t-test on the final values), with
    /// Holm's p on the row of the final values' primary test.
    public var testsCSV: String {
        var out = "first,second,figure,statistic,n_first,n_second,t,df,p,holm_p\n"
        for test in tests {
            func row(_ statistic: String, _ sizes: (Int, Int), _ t: Double, _ df: Double, _ p: Double, holm: Double?) {
                out += [csv(test.first), csv(test.second), test.figure, statistic, "\(sizes.0)", "\(sizes.1)",
                        "\(t)", "\(df)", "\(p)", holm.map { "\($0)" } ?? ""].joined(separator: ",") + "\n"
            }
            if let welch = test.final {
                row("final", (size(test.first, test.figure, \.final), size(test.second, test.figure, \.final)),
                    welch.t, welch.degreesOfFreedom, welch.p, holm: test.paired == nil ? test.holmP : nil)
            }
            if let paired = test.paired {
                row("final_paired", (paired.n, paired.n), paired.t, paired.degreesOfFreedom, paired.p, holm: test.holmP)
            }
            if let welch = test.lastEvaluations {
                row("last_evaluations", (size(test.first, test.figure, \.lastEvaluations), size(test.second, test.figure, \.lastEvaluations)),
                    welch.t, welch.degreesOfFreedom, welch.p, holm: nil)
            }
        }
        return out
    }

    /// A figure in the table: three decimals, four significant digits when
    /// large, and NaN or ±infinity named as such (never printf's `-nan`).
    static func figure(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "inf" : "-inf" }
        return String(format: abs(value) < 1e9 ? "%.3f" : "%.4g", value)
    }

    public var json: String {
        String(decoding: (try? Self.jsonEncoder().encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// How `--json` documents are written: snake_case keys (as summary.json and
    /// metrics.jsonl), sorted. Codable cannot write NaN or infinity: should one
    /// get through (the statistics leave non-finite values out of samples, and
    /// degenerate tests are nil), it is written as a string rather than making
    /// the document empty.
    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    private func size(_ condition: String, _ figure: String, _ path: KeyPath<Figure, Sample?>) -> Int {
        conditions.first { $0.name == condition }?.figures.first { $0.name == figure }?[keyPath: path]?.n ?? 0
    }

    static func text(_ sample: Sample?) -> String {
        guard let sample else { return "—" }
        let mean = figure(sample.mean)
        guard let half = sample.halfWidth else { return "\(mean) (n=\(sample.n))" }
        return "\(mean) ± \(figure(half)) (n=\(sample.n))"
    }

    /// The final values' paired tests, Mann–Whitney, Hedges' g and Holm's p, on one line.
    static func robustText(_ test: Test) -> String? {
        var parts: [String] = []
        if let paired = test.paired {
            parts.append(String(format: "paired (%d seeds) t = %.2f, p = %.3g", paired.n, paired.t, paired.p))
        }
        if let wilcoxon = test.wilcoxon { parts.append(String(format: "Wilcoxon p = %.3g", wilcoxon.p)) }
        if let difference = test.bootstrap {
            parts.append("difference \(figure(difference.difference)) [\(figure(difference.low)), \(figure(difference.high))] (bootstrap)")
        }
        if let u = test.mannWhitney { parts.append(String(format: "Mann–Whitney U = %g, p = %.3g", u.u, u.p)) }
        if let g = test.hedgesG { parts.append(String(format: "Hedges' g = %.2f [%.2f, %.2f]", g.g, g.low, g.high)) }
        if let holm = test.holmP { parts.append(String(format: "Holm p = %.3g", holm)) }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    static func text(_ test: WelchTest?) -> String {
        guard let test else { return "—" }
        return String(format: "t = %.2f, df = %.1f, p = %.3g", test.t, test.degreesOfFreedom, test.p)
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

/// A CSV field, quoted when it holds a comma or a quote (condition names hold commas).
private func csv(_ field: String) -> String {
    guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
