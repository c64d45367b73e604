import XCTest
@testable import KoineTrainer

/// The decision of a population-based training round against fitness tables
/// worked by hand: who copies whom, and what exploring makes of the copied
/// hyperparameters.
final class PBTDecisionTests: XCTestCase {
    /// A policy over `pbt`'s settings (a YAML flow mapping's inside), members
    /// with private encoders as PBT needs.
    func policy(_ pbt: String, _ extra: String = "") throws -> PBTPolicy {
        let yaml = "game: {}\nagents: {encoder: private}\neval: {every: 100}\npbt: {every: 100, \(pbt)}\n\(extra)"
        return PBTPolicy(configuration: try Configuration.parse(yaml, source: "t"))
    }

    let learningRates = "learning_rate: {minimum: 0.0001, maximum: 0.01}"

    /// Four members, the default quarter: the worst (member 2, 0.1) copies
    /// the best (member 1, 0.9) and perturbs its learning rate; the rest keep theirs.
    func testTruncationTheWorstQuarterCopiesTheBestQuarter() throws {
        let policy = try self.policy(learningRates)
        let rates: [[Double]] = [[0.001], [0.002], [0.003], [0.004]]
        for step in [100, 200, 300] {
            let choices = policy.decide(fitness: [0.5, 0.9, 0.1, 0.7], hyperparameters: rates, step: step)
            XCTAssertEqual(choices.map(\.source), [nil, nil, 1, nil])
            for member in [0, 1, 3] { XCTAssertEqual(choices[member].hyperparameters, rates[member]) }
            XCTAssertTrue([0.002 * 0.8, 0.002 * 1.2].contains(choices[2].hyperparameters[0]), "\(choices[2].hyperparameters)")
        }
        // Lower is better: member 2 is now the best and member 1 the worst.
        let lower = try self.policy(learningRates + ", better: lower")
        let choices = lower.decide(fitness: [0.5, 0.9, 0.1, 0.7], hyperparameters: rates, step: 100)
        XCTAssertEqual(choices.map(\.source), [nil, 2, nil, nil])
    }

    /// Eight members, a quarter: the two worst (members 2 and 4) each copy one
    /// of the two best (5 and 1), drawn uniformly; over many rounds both are drawn.
    func testTruncationDrawsTheSourceUniformlyFromTheTop() throws {
        let policy = try self.policy(learningRates)
        let fitness = [0.3, 0.8, 0.1, 0.6, 0.2, 0.9, 0.5, 0.4]
        let rates = (0..<8).map { [0.001 * Double($0 + 1)] }
        var drawn: Set<Int> = []
        for step in stride(from: 100, through: 5_000, by: 100) {
            let choices = policy.decide(fitness: fitness, hyperparameters: rates, step: step)
            for member in [0, 1, 3, 5, 6, 7] { XCTAssertNil(choices[member].source, "member \(member) at step \(step)") }
            for member in [2, 4] {
                let source = try XCTUnwrap(choices[member].source)
                XCTAssertTrue([5, 1].contains(source), "member \(member) copied \(source)")
                drawn.insert(source)
            }
        }
        XCTAssertEqual(drawn, [1, 5])
    }

    /// Ties rank the lower rank higher, and a NaN fitness below every other.
    func testTiesGoToTheLowerRankAndNaNRanksLast() throws {
        let policy = try self.policy(learningRates)
        let rates = [[Double]](repeating: [0.001], count: 4)
        XCTAssertEqual(policy.decide(fitness: [0.5, 0.5, .nan, 0.5], hyperparameters: rates, step: 100).map(\.source),
                       [nil, nil, 0, nil])
        XCTAssertEqual(policy.decide(fitness: [0.5, 0.5, 0.5, 0.5], hyperparameters: rates, step: 100).map(\.source),
                       [nil, nil, nil, 0])
        // A lone member has nobody to copy.
        XCTAssertEqual(policy.decide(fitness: [0.2], hyperparameters: [[0.001]], step: 100), [PBTChoice(source: nil, hyperparameters: [0.001])])
    }

    /// A binary tournament: a member copies the member it drew only when that
    /// one is strictly fitter, so the best never copies, the worst always
    /// does (every other member is fitter), and equals never copy each other.
    func testTournamentCopiesOnlyAStrictlyFitterMember() throws {
        let policy = try self.policy(learningRates + ", exploit: tournament")
        let fitness = [0.1, 0.2, 0.3, 0.4]
        let rates = (0..<4).map { [0.001 * Double($0 + 1)] }
        var copiedByOne: Set<Int> = []
        for step in stride(from: 100, through: 5_000, by: 100) {
            let choices = policy.decide(fitness: fitness, hyperparameters: rates, step: step)
            XCTAssertNil(choices[3].source)
            XCTAssertNotNil(choices[0].source)
            for (member, choice) in choices.enumerated() {
                if let source = choice.source { XCTAssertGreaterThan(fitness[source], fitness[member]) }
            }
            if let source = choices[1].source { copiedByOne.insert(source) }
        }
        XCTAssertEqual(copiedByOne, [2, 3], "member 1 draws members 2 and 3 (and 0, whom it does not copy)")
        let equal = policy.decide(fitness: [0.5, 0.5, 0.5], hyperparameters: [[0.001], [0.001], [0.001]], step: 100)
        XCTAssertEqual(equal.compactMap(\.source), [])
    }

    /// `exploit: none` is random search: at every round every member keeps
    /// its state and its hyperparameters, however unequal the fitness.
    func testNoneNeverCopies() throws {
        let policy = try self.policy(learningRates + ", exploit: none")
        let rates: [[Double]] = [[0.001], [0.002], [0.003], [0.004]]
        for step in [100, 200, 300] {
            let choices = policy.decide(fitness: [0.5, 0.9, 0.1, .nan], hyperparameters: rates, step: step)
            XCTAssertEqual(choices.map(\.source), [nil, nil, nil, nil])
            XCTAssertEqual(choices.map(\.hyperparameters), rates)
        }
    }

    /// Perturbed values are the source's times 0.8 or 1.2, then held inside
    /// the bounds (and rounded, for the reset period): a rate at the maximum
    /// can only go down or stay; a period of 3 becomes 2 (2.4) or 4 (3.6).
    func testExploredValuesStayInsideTheirBounds() throws {
        let extra = "population: {reset: {listeners: {mode: sequential, every: 100}}}"
        let policy = try self.policy(learningRates + ", reset_period: {minimum: 2, maximum: 1000}", extra)
        XCTAssertEqual(policy.explored.map(\.name), [.learningRate, .resetPeriod])
        var seen: Set<[Double]> = []
        for step in stride(from: 100, through: 3_000, by: 100) {
            let choices = policy.decide(fitness: [1, 0, 0.5, 0.5], hyperparameters: [[0.01, 3], [0.001, 100], [0.001, 100], [0.001, 100]],
                                        step: step)
            XCTAssertEqual(choices[1].source, 0)
            let explored = choices[1].hyperparameters
            XCTAssertTrue([0.01 * 0.8, 0.01].contains(explored[0]), "\(explored)")
            XCTAssertTrue([2, 4].contains(explored[1]), "\(explored)")
            seen.insert(explored)
        }
        XCTAssertEqual(seen.count, 4, "both factors drawn for both hyperparameters: \(seen)")
        // Resampled with certainty: anywhere within the bounds, on a log scale
        // for the learning rate (about half the draws below 1e-3, the bounds' geometric middle).
        let resampled = try self.policy(learningRates + ", explore: resample, resample_probability: 1")
        var below = 0
        for step in stride(from: 100, through: 20_000, by: 100) {
            let rate = resampled.decide(fitness: [1, 0], hyperparameters: [[0.001], [0.001]], step: step)[1].hyperparameters[0]
            XCTAssertTrue((0.0001...0.01).contains(rate), "\(rate)")
            if rate < 0.001 { below += 1 }
        }
        XCTAssertTrue((70...130).contains(below), "\(below) of 200 draws below 1e-3")
    }

    /// The decision depends on its inputs alone: the same table decides the
    /// same on every call (as on every rank), and the step changes the draws.
    func testTheDecisionIsAPureFunctionOfFitnessStepAndSeed() throws {
        let policy = try self.policy(learningRates)
        let fitness = [0.3, 0.8, 0.1, 0.6, 0.2, 0.9, 0.5, 0.4], rates = (0..<8).map { [0.001 * Double($0 + 1)] }
        let first = policy.decide(fitness: fitness, hyperparameters: rates, step: 700)
        XCTAssertEqual(policy.decide(fitness: fitness, hyperparameters: rates, step: 700), first)
        let steps = stride(from: 100, through: 2_000, by: 100).map { policy.decide(fitness: fitness, hyperparameters: rates, step: $0) }
        XCTAssertGreaterThan(Set(steps.map { $0.map(\.hyperparameters) }).count, 1)
        let otherSeed = try self.policy(learningRates, "seed: 9")
        let seeds = stride(from: 100, through: 2_000, by: 100).map { otherSeed.decide(fitness: fitness, hyperparameters: rates, step: $0) }
        XCTAssertNotEqual(seeds, steps)
    }

    /// Members start from the configured values, or from their own draw
    /// within the bounds: the same for a rank every time, different across ranks.
    func testInitialHyperparameters() throws {
        let policy = try self.policy(learningRates)
        XCTAssertEqual(policy.initialHyperparameters(rank: 3, configured: true), [0.001])
        let drawn = (0..<8).map { policy.initialHyperparameters(rank: $0, configured: false) }
        XCTAssertEqual(drawn, (0..<8).map { policy.initialHyperparameters(rank: $0, configured: false) })
        XCTAssertEqual(Set(drawn).count, 8)
        for values in drawn { XCTAssertTrue((0.0001...0.01).contains(values[0]), "\(values)") }
    }
}
