/// One hyperparameter population-based training may change, with its bounds
/// and the value the configuration gives it. A member's hyperparameters are a
/// list of values in the order of `Configuration.exploredHyperparameters`.
public struct ExploredHyperparameter: Equatable {
    public enum Name: String, CaseIterable {
        /// Every module's learning rate (Adam's or SGD's).
        case learningRate = "learning_rate"
        /// REINFORCE's entropy bonus, both roles.
        case entropy
        /// Gumbel-Softmax's temperature, every speaker's.
        case temperature
        /// The listeners' reset period in steps.
        case resetPeriod = "reset_period"
    }

    public let name: Name
    public let minimum: Double
    public let maximum: Double
    /// The configured value: where members start with `pbt.initial: configured`.
    public let configured: Double
    /// The key the configured value comes from.
    public let configuredKey: String

    /// Whole numbers (the reset period): perturbed and drawn values are rounded.
    public var isWhole: Bool { name == .resetPeriod }
    /// Drawn log-uniformly: a learning rate spans decades, and a uniform draw
    /// between 1e-4 and 1e-2 would almost never fall below 1e-3.
    public var isLogarithmic: Bool { name == .learningRate }

    /// `value` held inside the bounds (and rounded, for a whole number).
    public func bounded(_ value: Double) -> Double {
        let rounded = isWhole ? value.rounded() : value
        return min(max(rounded, minimum), maximum)
    }
}

extension Configuration {
    /// The hyperparameters `pbt` explores (a maximum above 0), in the order of `ExploredHyperparameter.Name`.
    public var exploredHyperparameters: [ExploredHyperparameter] {
        var explored: [ExploredHyperparameter] = []
        if pbt.learningRate.maximum > 0 {
            explored.append(ExploredHyperparameter(name: .learningRate, minimum: pbt.learningRate.minimum, maximum: pbt.learningRate.maximum,
                                                   configured: train.learningRate, configuredKey: "train.optimizer.lr"))
        }
        if pbt.entropy.maximum > 0 {
            explored.append(ExploredHyperparameter(name: .entropy, minimum: pbt.entropy.minimum, maximum: pbt.entropy.maximum,
                                                   configured: agents.entropy, configuredKey: "agents.entropy"))
        }
        if pbt.temperature.maximum > 0 {
            explored.append(ExploredHyperparameter(name: .temperature, minimum: pbt.temperature.minimum, maximum: pbt.temperature.maximum,
                                                   configured: agents.temperature, configuredKey: "agents.temperature"))
        }
        if pbt.resetPeriod.maximum > 0 {
            explored.append(ExploredHyperparameter(name: .resetPeriod, minimum: Double(pbt.resetPeriod.minimum),
                                                   maximum: Double(pbt.resetPeriod.maximum),
                                                   configured: Double(population.listenerReset.every),
                                                   configuredKey: "population.reset.listeners.every"))
        }
        return explored
    }
}
