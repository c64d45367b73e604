import KoineGame

/// The `eval` section: greedy evaluations and ease-of-teaching measurements.
public struct EvalSection {
    public var every = 0
    public var distance = MeaningDistance.cosine
    public var images = 0
    public var interactions = 0
    public var easeEvery = 0
    public var easeListeners = 0
    public var easeSteps = 0
    public var easeChoices = TeachingChoices.greedy
    public var easeEntropy = 0.1

    /// How fresh listeners choose and learn in an ease-of-teaching measurement.
    public var teachingRule: TeachingRule { TeachingRule(easeChoices, entropyWeight: Float(easeEntropy)) }
}
