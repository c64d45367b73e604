import Foundation
import KoineTensor

/// What one member does at a round: keep its agents, or copy those of
/// `source`; and the hyperparameters it trains with from the round on.
public struct PBTChoice: Equatable {
    /// The member (rank) whose agents it copies; nil when it keeps its own.
    public var source: Int?
    /// Its hyperparameters after the round, in the order of the explored ones.
    public var hyperparameters: [Double]

    public init(source: Int?, hyperparameters: [Double]) {
        self.source = source
        self.hyperparameters = hyperparameters
    }
}

/// The decision of a population-based training round, as a pure function of
/// every member's fitness and hyperparameters, the step and the seed: every
/// rank computes it from the same gathered table and so reaches the same
/// decision, and a resumed run decides again exactly as the first did.
public struct PBTPolicy {
    public let exploit: PBTExploit
    public let fraction: Double
    public let explore: PBTExplore
    public let perturbDown: Double
    public let perturbUp: Double
    public let resampleProbability: Double
    public let better: FitnessDirection
    public let explored: [ExploredHyperparameter]
    public let seed: UInt64

    public init(configuration: Configuration) {
        let pbt = configuration.pbt
        exploit = pbt.exploit
        fraction = pbt.fraction
        explore = pbt.explore
        perturbDown = pbt.perturbDown
        perturbUp = pbt.perturbUp
        resampleProbability = pbt.resampleProbability
        better = pbt.better
        explored = configuration.exploredHyperparameters
        seed = UInt64(configuration.seed)
    }

    // Purposes of the streams split from the seed (the population's own
    // streams use 2, 3, 5 and 40; these are PBT's alone).
    static let decisionPurpose: UInt64 = 60
    static let initialPurpose: UInt64 = 61

    /// Member `rank`'s hyperparameters before the first round: the configured
    /// values, or its own draw within the bounds.
    public func initialHyperparameters(rank: Int, configured: Bool) -> [Double] {
        if configured { return explored.map(\.configured) }
        var random = Random(seed: seed).split(PBTPolicy.initialPurpose, UInt64(rank))
        return explored.map { draw($0, random: &random) }
    }

    /// Every member's choice at the round after step `step`. `fitness[m]` and
    /// `hyperparameters[m]` are member m's; a NaN fitness ranks below any other.
    public func decide(fitness: [Double], hyperparameters: [[Double]], step: Int) -> [PBTChoice] {
        let members = fitness.count
        precondition(hyperparameters.count == members, "a fitness and hyperparameters per member")
        let round = Random(seed: seed).split(PBTPolicy.decisionPurpose, UInt64(step))
        var sources = [Int?](repeating: nil, count: members)
        // Each member draws from its own stream, so its draws do not depend
        // on how many draws another member made.
        var streams = (0..<members).map { round.split(UInt64($0)) }
        switch exploit {
        case .truncation:
            let ranked = (0..<members).sorted { isRanked($0, above: $1, fitness: fitness) }
            let count = members < 2 ? 0 : max(1, Int((Double(members) * fraction).rounded(.down)))
            let top = Array(ranked.prefix(count))
            for member in ranked.suffix(count) { sources[member] = top[streams[member].nextInt(below: count)] }
        case .tournament:
            guard members >= 2 else { break }
            for member in 0..<members {
                var opponent = streams[member].nextInt(below: members - 1)
                if opponent >= member { opponent += 1 }
                if score(fitness[opponent]) > score(fitness[member]) { sources[member] = opponent }
            }
        case .never:
            break
        }
        return (0..<members).map { member in
            guard let source = sources[member] else { return PBTChoice(source: nil, hyperparameters: hyperparameters[member]) }
            let explored = zip(self.explored, hyperparameters[source]).map { change($1, of: $0, random: &streams[member]) }
            return PBTChoice(source: source, hyperparameters: explored)
        }
    }

    /// The fitness as a score where higher is better; NaN lowest of all.
    func score(_ fitness: Double) -> Double {
        if fitness.isNaN { return -.infinity }
        return better == .higher ? fitness : -fitness
    }

    /// The order truncation ranks members in: by score, ties (and two NaNs)
    /// to the lower rank, so the order is total and the same on every rank.
    func isRanked(_ a: Int, above b: Int, fitness: [Double]) -> Bool {
        let scoreA = score(fitness[a]), scoreB = score(fitness[b])
        return scoreA != scoreB ? scoreA > scoreB : a < b
    }

    /// A copied value explored: perturbed, or (resample) redrawn with probability `resampleProbability`.
    func change(_ value: Double, of hyperparameter: ExploredHyperparameter, random: inout Random) -> Double {
        if explore == .resample && random.nextDouble() < resampleProbability { return draw(hyperparameter, random: &random) }
        let factor = random.nextDouble() < 0.5 ? perturbDown : perturbUp
        return hyperparameter.bounded(value * factor)
    }

    /// A value drawn within the bounds: log-uniformly for the learning rate, uniformly otherwise.
    func draw(_ hyperparameter: ExploredHyperparameter, random: inout Random) -> Double {
        let u = random.nextDouble(), low = hyperparameter.minimum, high = hyperparameter.maximum
        guard hyperparameter.isLogarithmic else { return hyperparameter.bounded(low + u * (high - low)) }
        return hyperparameter.bounded(exp(log(low) + u * (log(high) - log(low))))
    }
}
