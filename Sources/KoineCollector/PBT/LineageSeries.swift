extension PopulationLineage {
    /// Member `member`'s value of hyperparameter `name` over steps, as the
    /// corners of a step function: from step 0 the value it had before its
    /// first round, at each round the value before and the value after (so
    /// a straight line between two points is flat unless a line is missing),
    /// and on to `end` (the run's last step) when that is later.
    public func schedule(_ name: String, member: Int, end: Int? = nil) -> [(step: Int, value: Double)] {
        var points: [(step: Int, value: Double)] = []
        for round in rounds {
            guard let line = round.members[member] else { continue }
            if let before = line.before(name) {
                if points.isEmpty { points.append((0, before)) }
                points.append((round.step, before))
            }
            if let after = line.after(name) { points.append((round.step, after)) }
        }
        if let end, let last = points.last, end > last.step { points.append((end, last.value)) }
        return points
    }

    /// Member `member`'s fitness at each round it has a line for (NaN kept: a chart leaves it out).
    public func fitness(member: Int) -> [(step: Int, value: Double)] {
        rounds.compactMap { round in round.members[member].map { (round.step, $0.fitness) } }
    }
}
