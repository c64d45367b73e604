import Foundation

/// A pre-registered study's endpoints decided on the runs found: per endpoint
/// the test the plan names, the difference with its 95% interval, p and —
/// within the primary and within the secondary endpoints — Holm's p, and the
/// power the planned effect has at the number of runs found.
public struct StudyReport: Codable {
    public struct Result: Codable {
        public let family: String
        public let endpoint: StudyPlan.Endpoint
        /// Finished runs with the figure, per condition, and seeds in both.
        public let runs: [Int]
        public let pairs: Int
        /// First minus second: the mean paired difference for paired tests,
        /// else the difference of the means.
        public let difference: Double?
        /// Its 95% interval: Student t over the paired differences, else a
        /// percentile bootstrap of the difference of the means.
        public let low: Double?
        public let high: Double?
        /// The test's statistic, e.g. `t(49) = 1.23`.
        public let statistic: String?
        public let p: Double?
        /// After Holm's correction within the family (equal to p without it).
        public internal(set) var adjustedP: Double?
        /// The chance a two-sample t-test at α detects the planned effect at
        /// this many runs per condition, and the runs 80% would need.
        public let power: Double?
        public let runsNeeded: Int?

        /// Conditions of the endpoint with no runs yet, in an interim report
        /// (`pending`); empty when the endpoint was decided.
        public var pendingConditions: [String] = []
        public var pending: Bool { !pendingConditions.isEmpty }

        /// Whether the (adjusted) p is below the plan's α.
        public let alpha: Double
        public var significant: Bool? { adjustedP.map { $0 < alpha } }
    }

    public struct Found: Codable {
        public let condition: String
        public let finished: Int
        public let unfinished: Int
    }

    public let plan: StudyPlan
    public let found: [Found]
    public let results: [Result]
    /// Whether endpoints whose conditions have no runs yet were left pending
    /// (a study that runs over several sittings) rather than refused.
    public let interim: Bool

    /// Decides `plan`'s endpoints on `conditions`; a condition or figure the
    /// plan names that the runs do not have is a `StudyError`, unless
    /// `interim`, when an endpoint with a condition that has no runs yet is
    /// left pending and Holm's correction runs over the decided endpoints of
    /// its family only (the final adjustment, over all of them, can only be
    /// as large or larger).
    public init(plan: StudyPlan, conditions: [Condition], interim: Bool = false) throws {
        self.plan = plan
        self.interim = interim
        var found: [Found] = []
        var results: [Result] = []
        let names = conditions.map(\.name)
        for (family, endpoints) in [("primary", plan.primary), ("secondary", plan.secondary)] {
            var familyResults: [Result] = []
            for (index, endpoint) in endpoints.enumerated() {
                let path = "\(plan.source): \(family)[\(index)]"
                var pair: [Condition] = []
                let missing = [endpoint.first, endpoint.second].filter { name in !conditions.contains { $0.name == name } }
                if interim && !missing.isEmpty {
                    for condition in conditions where [endpoint.first, endpoint.second].contains(condition.name)
                        && !found.contains(where: { $0.condition == condition.name }) {
                        found.append(Found(condition: condition.name, finished: condition.finished.count,
                                           unfinished: condition.runs.count - condition.finished.count))
                    }
                    var result = Result(family: family, endpoint: endpoint, runs: [0, 0], pairs: 0, difference: nil, low: nil,
                                        high: nil, statistic: nil, p: nil, adjustedP: nil, power: nil, runsNeeded: nil,
                                        alpha: plan.alpha)
                    result.pendingConditions = missing
                    familyResults.append(result)
                    continue
                }
                for name in [endpoint.first, endpoint.second] {
                    guard let condition = conditions.first(where: { $0.name == name }) else {
                        throw StudyError("\(path).conditions: no condition \(name) among the runs; they are " + names.joined(separator: ", ")
                                         + " (--interim leaves endpoints whose conditions have not run yet pending)")
                    }
                    pair.append(condition)
                    if !found.contains(where: { $0.condition == name }) {
                        found.append(Found(condition: name, finished: condition.finished.count,
                                           unfinished: condition.runs.count - condition.finished.count))
                    }
                }
                let a = pair[0].finished, b = pair[1].finished
                let finalsA = a.compactMap { $0.summary?[endpoint.figure] }, finalsB = b.compactMap { $0.summary?[endpoint.figure] }
                if finalsA.isEmpty && finalsB.isEmpty && (!a.isEmpty || !b.isEmpty) {
                    let known = Comparison.figureNames(a + b, summaries: true)
                    throw StudyError("\(path).figure: no finished run of \(endpoint.first) or \(endpoint.second) has \(endpoint.figure); they have "
                                     + known.joined(separator: ", "))
                }
                familyResults.append(Self.decide(endpoint, family: family, a: a, b: b, finalsA: finalsA, finalsB: finalsB, alpha: plan.alpha))
            }
            let tested = familyResults.indices.filter { familyResults[$0].p != nil }
            let adjusted = plan.holm ? HolmCorrection.adjusted(tested.map { familyResults[$0].p! }) : tested.map { familyResults[$0].p! }
            for (index, value) in zip(tested, adjusted) { familyResults[index].adjustedP = value }
            results += familyResults
        }
        self.found = found
        self.results = results
    }

    private static func decide(_ endpoint: StudyPlan.Endpoint, family: String, a: [RunRecord], b: [RunRecord],
                               finalsA: [Double], finalsB: [Double], alpha: Double) -> Result {
        let pairs = Comparison.pairedBySeed(a, b, figure: endpoint.figure)
        let differences = Sample(pairs.map { $0.0 - $0.1 })
        let bootstrap = BootstrapDifference(finalsA, finalsB)
        var difference: Double?, low: Double?, high: Double?, statistic: String?, p: Double?
        var perCondition = Double(min(finalsA.count, finalsB.count))
        switch endpoint.test {
        case .pairedT, .wilcoxon:
            perCondition = Double(pairs.count)
            if let differences {
                difference = differences.mean
                if let half = differences.halfWidth { (low, high) = (differences.mean - half, differences.mean + half) }
            }
            if endpoint.test == .pairedT, let test = PairedTTest(pairs.map(\.0), pairs.map(\.1)) {
                statistic = String(format: "t(%.0f) = %.2f", test.degreesOfFreedom, test.t)
                p = test.p
            } else if endpoint.test == .wilcoxon, pairs.count >= 2, let test = WilcoxonSignedRank(pairs.map(\.0), pairs.map(\.1)) {
                statistic = String(format: "W = %.1f (n = %d)", test.statistic, test.n)
                p = test.p
            }
        case .welch, .mannWhitney:
            if let bootstrap { (difference, low, high) = (bootstrap.difference, bootstrap.low, bootstrap.high) }
            if endpoint.test == .welch, let x = Sample(finalsA), let y = Sample(finalsB), let test = WelchTest(x, y) {
                statistic = String(format: "t(%.1f) = %.2f", test.degreesOfFreedom, test.t)
                p = test.p
            } else if endpoint.test == .mannWhitney, let test = MannWhitneyU(finalsA, finalsB) {
                statistic = String(format: "U = %.1f", test.u)
                p = test.p
            }
        }
        var power: Double?, needed: Int?
        if let effect = endpoint.effect, let spread = endpoint.standardDeviation {
            let d = effect / spread
            if perCondition >= 2 { power = TwoSampleTPower.power(effect: d, perGroup: perCondition, alpha: alpha) }
            needed = TwoSampleTPower.runsNeeded(effect: d, power: 0.8, alpha: alpha)
        }
        return Result(family: family, endpoint: endpoint, runs: [finalsA.count, finalsB.count], pairs: pairs.count,
                      difference: difference, low: low, high: high, statistic: statistic, p: p, adjustedP: p,
                      power: power, runsNeeded: needed, alpha: alpha)
    }
}
