import Foundation

/// The statistics of `koine compare`: per condition and figure, the mean and
/// 95% confidence interval of the final value and of the mean over each run's
/// last ten evaluations; between pairs of conditions Welch's t-test, and for
/// the final values the paired t-test and the Wilcoxon signed-rank test over
/// shared seeds, the difference of the means with a bootstrap interval, the Mann–Whitney U
/// test, Hedges' g and Holm's correction over all the tests.
public struct Comparison: Codable {
    public struct Figure: Codable {
        public let name: String
        /// Over runs, of summary.json's value.
        public let final: Sample?
        /// Over runs, of the mean over the run's last evaluations.
        public let lastEvaluations: Sample?
    }

    /// Runs whose final value of `figure` is above `threshold` (e.g. topsim > 0.9:
    /// how often a condition reaches an almost compositional language).
    public struct Above: Codable {
        public let figure: String
        public let threshold: Double
        public let runs: Proportion?
    }

    public struct ConditionSummary: Codable {
        public let name: String
        /// Finished runs (with summary.json), the only ones final figures count.
        public let finished: Int
        public let unfinished: Int
        public let directories: [String]
        public let figures: [Figure]
        public let above: [Above]
    }

    public struct Test: Codable {
        public let figure: String
        public let first: String
        public let second: String
        public let final: WelchTest?
        public let lastEvaluations: WelchTest?
        /// Of the final values of runs with the same seed in both conditions
        /// (at least two pairs): they share everything up to where the
        /// conditions differ, so the paired test is the right one.
        public let paired: PairedTTest?
        /// The paired values' check that assumes no distribution.
        public let wilcoxon: WilcoxonSignedRank?
        /// Of the final values: the test that assumes no distribution.
        public let mannWhitney: MannWhitneyU?
        /// Of the final values: the difference in pooled standard deviations.
        public let hedgesG: HedgesG?
        /// Of the final values: the difference of the means, with a bootstrap interval.
        public let bootstrap: BootstrapDifference?
        /// The final test's p (paired where there are pairs, else Welch's)
        /// after Holm's correction over every test of this comparison.
        public internal(set) var holmP: Double?

        /// The p of the test that fits the final values: paired, else Welch's.
        var primaryP: Double? { paired?.p ?? final?.p }
    }

    public static let lastEvaluationCount = 10
    /// With this many conditions or fewer, every pair is tested unasked.
    public static let allPairsUpTo = 4

    /// The figures first shown, in this order, when runs have them; every other
    /// numeric figure follows by name.
    public static let leading = ["topsim", "topsim_li_bowling", "accuracy", "ease_of_teaching",
                                 "ease_of_teaching_accuracy_50", "ease_of_teaching_accuracy_100",
                                 "ease_of_teaching_accuracy_200", "ease_of_teaching_steps_to_90",
                                 "ease_of_teaching_area_200", "posdis", "bosdis",
                                 "training_accuracy", "heldout_accuracy", "entropy", "lexicon_size"]
    /// summary.json fields that are bookkeeping, not figures of a language.
    public static let bookkeeping: Set<String> = [
        "steps", "world_size", "games", "games_per_second", "steps_per_second", "wall_seconds", "allreduce_seconds",
        "telemetry_dropped", "resets", "cross_rank_games", "cross_rank_replies",
    ]

    public let conditions: [ConditionSummary]
    public let tests: [Test]

    /// `pairs` empty: every pair when there are few conditions.
    /// `thresholds`: figures and values to count the runs above (`--above`).
    public init(_ gathered: [Condition], pairs: [(String, String)], thresholds: [(figure: String, value: Double)] = []) throws {
        let names = Self.figureNames(gathered.flatMap(\.runs))
        var summaries: [ConditionSummary] = []
        for condition in gathered {
            let finished = condition.finished
            let lastMeans = condition.runs.filter { !$0.evaluations.isEmpty }
                .map { $0.meanOfLastEvaluations(Self.lastEvaluationCount) }
            summaries.append(ConditionSummary(
                name: condition.name, finished: finished.count, unfinished: condition.runs.count - finished.count,
                directories: condition.runs.map(\.directory),
                figures: names.map { name in
                    Figure(name: name, final: Sample(finished.compactMap { $0.summary?[name] }),
                           lastEvaluations: Sample(lastMeans.compactMap { $0[name] }))
                },
                above: thresholds.map { threshold in
                    let finals = finished.compactMap { $0.summary?[threshold.figure] }.filter(\.isFinite)
                    return Above(figure: threshold.figure, threshold: threshold.value,
                                 runs: Proportion(count: finals.filter { $0 > threshold.value }.count, of: finals.count))
                }))
        }
        conditions = summaries
        var chosen = pairs
        if pairs.isEmpty && summaries.count <= Self.allPairsUpTo {
            for (position, first) in summaries.enumerated() {
                for second in summaries[(position + 1)...] { chosen.append((first.name, second.name)) }
            }
        }
        var tests: [Test] = []
        for (first, second) in chosen {
            guard let a = summaries.first(where: { $0.name == first }), let b = summaries.first(where: { $0.name == second }) else {
                let unknown = summaries.contains { $0.name == first } ? second : first
                throw StudyError("--versus \(unknown): no such condition; the conditions are "
                                 + summaries.map(\.name).joined(separator: ", "))
            }
            let runsA = gathered.first { $0.name == first }?.finished ?? []
            let runsB = gathered.first { $0.name == second }?.finished ?? []
            for (x, y) in zip(a.figures, b.figures) {
                let finalsA = runsA.compactMap { $0.summary?[x.name] }, finalsB = runsB.compactMap { $0.summary?[x.name] }
                let pairs = Self.pairedBySeed(runsA, runsB, figure: x.name)
                tests.append(Test(
                    figure: x.name, first: first, second: second,
                    final: x.final.flatMap { p in y.final.flatMap { WelchTest(p, $0) } },
                    lastEvaluations: x.lastEvaluations.flatMap { p in y.lastEvaluations.flatMap { WelchTest(p, $0) } },
                    paired: PairedTTest(pairs.map(\.0), pairs.map(\.1)),
                    wilcoxon: pairs.count >= 2 ? WilcoxonSignedRank(pairs.map(\.0), pairs.map(\.1)) : nil,
                    mannWhitney: MannWhitneyU(finalsA, finalsB),
                    hedgesG: x.final.flatMap { p in y.final.flatMap { HedgesG(p, $0) } },
                    bootstrap: BootstrapDifference(finalsA, finalsB),
                    holmP: nil))
            }
        }
        // Holm over the final tests of every pair and figure compared here.
        let tested = tests.indices.filter { tests[$0].primaryP != nil }
        for (index, adjusted) in zip(tested, HolmCorrection.adjusted(tested.map { tests[$0].primaryP! })) {
            tests[index].holmP = adjusted
        }
        self.tests = tests
    }

    /// The final values of `figure` for the seeds both conditions finished.
    static func pairedBySeed(_ first: [RunRecord], _ second: [RunRecord], figure: String) -> [(Double, Double)] {
        var bySeed: [Int: Double] = [:]
        for run in second { if let seed = run.seed, let value = run.summary?[figure] { bySeed[seed] = value } }
        return first.compactMap { run in
            guard let seed = run.seed, let value = run.summary?[figure], let other = bySeed[seed] else { return nil }
            return (value, other)
        }
    }

    /// Every numeric figure of the runs' evaluations (and summaries), leading ones first.
    static func figureNames(_ runs: [RunRecord], summaries: Bool = true) -> [String] {
        var found = Set<String>()
        for run in runs {
            if summaries { found.formUnion((run.summary ?? [:]).keys.filter { !bookkeeping.contains($0) }) }
            for evaluation in run.evaluations { found.formUnion(evaluation.figures.keys) }
        }
        return leading.filter(found.contains) + found.subtracting(leading).sorted()
    }
}
