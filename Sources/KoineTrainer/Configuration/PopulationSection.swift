/// Reset schedules for one role of the population.
public enum ResetMode: String, CaseIterable {
    /// Never.
    case none
    /// The same schedule as `simultaneous`, under the name of Li & Bowling's
    /// single-listener reset (their shipped configs use it); kept as a name,
    /// not as a behaviour of its own.
    case sequential
    /// The oldest agent every `every / count` steps, so each lives `every` steps.
    case staggered
    /// Every agent of the role at once every `every` steps.
    case simultaneous
}

public struct ResetSettings: Equatable {
    public var mode: ResetMode
    public var every: Int
}

public enum PairingMode: String, CaseIterable {
    /// Every speaker plays every listener each step.
    case all
    /// Each speaker plays one listener drawn at random each step.
    case uniform
    /// Speaker s plays listener (s + step) mod L.
    case roundRobin = "round_robin"
}

/// The `population` section: the agents of each rank, who plays whom, and
/// when agents are reset.
public struct PopulationSection {
    public var speakers = 0
    public var listeners = 0
    public var pairing = PairingMode.all
    public var crossRank = 0.0
    public var listenerReset = ResetSettings(mode: .none, every: 0)
    public var speakerReset = ResetSettings(mode: .none, every: 0)
    public var resetSpeakerOptimizer = false

    /// Each role's reset schedule, with the role's key name and agent count.
    var resets: [(role: String, settings: ResetSettings, count: Int)] {
        [("listeners", listenerReset, listeners), ("speakers", speakerReset, speakers)]
    }
}
