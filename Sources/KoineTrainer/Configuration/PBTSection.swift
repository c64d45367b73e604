/// How the worse members of a population-based training round choose whom to copy.
public enum PBTExploit: String, CaseIterable {
    /// The bottom `fraction` of members each copy a member drawn uniformly
    /// from the top `fraction` (Jaderberg et al. 2017's truncation selection).
    case truncation
    /// Each member draws one other member uniformly and copies it when it is
    /// strictly fitter (binary tournament).
    case tournament
    /// Nobody copies: with `initial: sampled`, random search of the same
    /// budget — every member its own draw, trained apart, its fitness recorded
    /// at each round like PBT's.
    case never = "none"
}

/// How a member that copied another changes the hyperparameters it copied.
public enum PBTExplore: String, CaseIterable {
    /// Each hyperparameter multiplied by `perturb.down` or `perturb.up`, each
    /// with probability 1/2, then held inside its bounds.
    case perturb
    /// Each hyperparameter redrawn within its bounds with probability
    /// `resample_probability`, perturbed otherwise.
    case resample
}

/// Where each member's hyperparameters start.
public enum PBTInitial: String, CaseIterable {
    /// Every member starts from the configured values (train.optimizer.lr, ...).
    case configured
    /// Every member draws its own within the bounds (from the seed and its rank).
    case sampled
}

/// Which way the fitness figure improves.
public enum FitnessDirection: String, CaseIterable {
    case higher, lower
}

/// Bounds of a real hyperparameter PBT may change; a maximum of 0 leaves it alone.
public struct RealBounds: Equatable {
    public var minimum = 0.0
    public var maximum = 0.0
}

/// Bounds of a whole-number hyperparameter PBT may change; a maximum of 0 leaves it alone.
public struct WholeBounds: Equatable {
    public var minimum = 0
    public var maximum = 0
}

/// The `pbt` section: population-based training across ranks (Jaderberg et
/// al. 2017). A member is one rank's whole population; every `every` steps
/// the members' fitness is gathered and the worse members copy a better
/// one's agents (exploit) and change the copied hyperparameters (explore).
/// Off (`every` 0) by default.
public struct PBTSection {
    public var every = 0
    /// An evaluation figure (`accuracy`, `topsim_li_bowling`, ...) or an ease-of-teaching
    /// one, as summary.json names it (`ease_of_teaching_area_200`, ...).
    public var fitness = ""
    public var better = FitnessDirection.higher
    public var exploit = PBTExploit.truncation
    public var fraction = 0.0
    public var explore = PBTExplore.perturb
    public var perturbDown = 0.0
    public var perturbUp = 0.0
    public var resampleProbability = 0.0
    public var initial = PBTInitial.configured
    public var learningRate = RealBounds()
    public var entropy = RealBounds()
    public var temperature = RealBounds()
    public var resetPeriod = WholeBounds()

    public var isOn: Bool { every > 0 }

    /// Whether the fitness comes from an ease-of-teaching measurement rather
    /// than an evaluation (summary.json's `ease_of_teaching`, `ease_of_teaching_area_200`, ...).
    public var fitnessIsEaseOfTeaching: Bool { fitness == "ease_of_teaching" || fitness.hasPrefix("ease_of_teaching_") }
}

extension Configuration {
    /// The `pbt` section's checks across keys: what a member is made of
    /// (private encoders, no games across members), that the fitness exists
    /// at every round, and that every explored hyperparameter is one this
    /// run has, with sensible bounds.
    func validatePBT(source: String) throws {
        guard pbt.isOn else { return }
        func fail(_ key: String, _ message: String) -> ConfigurationError { ConfigurationError("\(source): \(key): \(message)") }
        // A shared encoder is trained by every member's gradients and kept
        // identical by all-reduce: it belongs to no member, so a member could
        // neither be copied whole nor learn at a rate of its own.
        if agents.encoder != .private {
            throw fail("agents.encoder", "population-based training copies whole members (ranks), and a shared encoder belongs to none; expected private, got \(agents.encoder.rawValue)")
        }
        if population.crossRank > 0 {
            throw fail("population.cross_rank", "population-based training compares members trained apart; expected 0, got \(population.crossRank)")
        }
        if pbt.fitness.isEmpty || !pbt.fitness.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            throw fail("pbt.fitness", "expected an evaluation figure such as accuracy or topsim_li_bowling, or an ease-of-teaching one such as ease_of_teaching_area_200, got '\(ConfigurationError.shown(pbt.fitness))'")
        }
        // The fitness must be fresh at every round: measured at the round's step.
        let (measuredEvery, measuredKey) = pbt.fitnessIsEaseOfTeaching
            ? (eval.easeEvery, "eval.ease_of_teaching.every") : (eval.every, "eval.every")
        if measuredEvery <= 0 || pbt.every % measuredEvery != 0 {
            throw fail("pbt.every", "a round needs its fitness (\(pbt.fitness)) measured at its step; expected a multiple of \(measuredKey) (\(measuredEvery)), got \(pbt.every)")
        }
        if pbt.perturbDown > 1 {
            throw fail("pbt.perturb.down", "expected a factor of at most 1, got \(pbt.perturbDown)")
        }
        if pbt.perturbUp < 1 {
            throw fail("pbt.perturb.up", "expected a factor of at least 1, got \(pbt.perturbUp)")
        }
        try validateBounds(source: source)
    }

    /// Each explored hyperparameter: one this run has, bounds in order, and
    /// the configured value inside them when members start from it.
    private func validateBounds(source: String) throws {
        // Bounds are held as reals: a period past 2^53 is not one exactly, and
        // Int.max became 2^63, which no Int holds (the message showed
        // -9223372036854775808, the member's schedule a negative period).
        let longestPeriod = 1 << 53
        for (key, value) in [("pbt.reset_period.minimum", pbt.resetPeriod.minimum), ("pbt.reset_period.maximum", pbt.resetPeriod.maximum)]
        where value > longestPeriod {
            throw ConfigurationError("\(source): \(key): expected at most \(longestPeriod) steps (2^53), got \(value)")
        }
        for hyperparameter in exploredHyperparameters {
            let key = "pbt.\(hyperparameter.name.rawValue)"
            let minimum = hyperparameter.minimum, maximum = hyperparameter.maximum
            let shown = { (value: Double) in hyperparameter.isWhole ? String(Int(value)) : ConfigurationValue.format(value) }
            if minimum > maximum {
                throw ConfigurationError("\(source): \(key).minimum: expected at most \(key).maximum (\(shown(maximum))), got \(shown(minimum))")
            }
            switch hyperparameter.name {
            case .learningRate where minimum <= 0:
                throw ConfigurationError("\(source): \(key).minimum: a learning rate is drawn on a log scale; expected a number above 0, got \(shown(minimum))")
            case .entropy where agents.channel != .reinforce:
                throw ConfigurationError("\(source): \(key).maximum: the entropy bonus is REINFORCE's; expected 0 (not explored) with agents.channel \(agents.channel.rawValue)")
            case .temperature where agents.channel != .gumbel:
                throw ConfigurationError("\(source): \(key).maximum: the temperature is Gumbel-Softmax's; expected 0 (not explored) with agents.channel \(agents.channel.rawValue)")
            case .temperature where minimum <= 0:
                throw ConfigurationError("\(source): \(key).minimum: expected a temperature above 0, got \(shown(minimum))")
            case .resetPeriod where population.listenerReset.mode == .none:
                throw ConfigurationError("\(source): \(key).maximum: the listeners are never reset (population.reset.listeners.mode none); expected 0 (not explored)")
            case .resetPeriod where population.listenerReset.mode == .staggered && minimum < Double(population.listeners):
                throw ConfigurationError("\(source): \(key).minimum: staggered resets need a period of at least one step per listener (\(population.listeners)), got \(shown(minimum))")
            case .resetPeriod where minimum < 1:
                throw ConfigurationError("\(source): \(key).minimum: expected a period of at least 1 step, got \(shown(minimum))")
            default:
                break
            }
            let configured = hyperparameter.configured
            if pbt.initial == .configured && (configured < minimum || configured > maximum) {
                throw ConfigurationError("\(source): \(hyperparameter.configuredKey): pbt.initial configured starts every member from it; expected a value within \(key)'s bounds [\(shown(minimum)), \(shown(maximum))], got \(shown(configured))")
            }
        }
    }
}
