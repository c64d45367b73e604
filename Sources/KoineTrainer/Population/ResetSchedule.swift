/// Decides which agents of one role are re-initialised before a step.
/// Steps count from 0; nothing is reset before step 0.
public struct ResetSchedule {
    public let settings: ResetSettings
    public let count: Int

    public init(settings: ResetSettings, count: Int) {
        self.settings = settings
        self.count = count
    }

    /// Steps between two resets of the role (one agent or all).
    public var period: Int {
        switch settings.mode {
        case .none: return 0
        case .sequential, .simultaneous: return settings.every
        case .staggered: return max(1, settings.every / count)
        }
    }

    /// Agents to reset before `step`, in ascending order.
    public func agents(before step: Int) -> Range<Int> {
        let period = self.period
        guard period > 0, step > 0, step % period == 0 else { return 0..<0 }
        switch settings.mode {
        case .none: return 0..<0
        case .sequential, .simultaneous: return 0..<count
        case .staggered:
            // Agents were all born at step 0, so the oldest is the next in turn.
            let agent = (step / period - 1) % count
            return agent..<(agent + 1)
        }
    }
}
