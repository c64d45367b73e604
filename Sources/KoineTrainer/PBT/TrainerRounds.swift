extension Trainer {
    /// The population-based training round after step `step`: this member's
    /// fitness, every member's lexicon, the round (a collective), its lineage.
    func populationBasedRound(_ member: PBTMember, step: Int) throws {
        let fitness = try memberFitness(step: step)
        try reporter.keepLexicons(of: population, step: step)
        let round = try member.round(step: step, fitness: fitness)
        try reporter.recordRound(round, explored: member.policy.explored)
    }

    /// This rank's own value of `pbt.fitness`, measured at `step` (the
    /// configuration made sure a measurement falls on every round).
    func memberFitness(step: Int) throws -> Double {
        let name = configuration.pbt.fitness
        let figures = configuration.pbt.fitnessIsEaseOfTeaching
            ? reporter.localEaseOfTeaching?.namedFigures ?? [] : reporter.lastEvaluation?.local.figures ?? []
        guard let figure = figures.first(where: { $0.name == name }) else {
            throw TrainingError("pbt.fitness: no figure \(name) at step \(step); this game's are \(figures.map(\.name).joined(separator: ", "))")
        }
        return figure.value
    }
}
