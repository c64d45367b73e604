import KoineGame

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
    /// configuration made sure a measurement falls on every round, and
    /// `checkFitnessFigure` that the figure is one the measurement gives).
    func memberFitness(step: Int) throws -> Double {
        let name = configuration.pbt.fitness
        let figures = configuration.pbt.fitnessIsEaseOfTeaching
            ? reporter.localEaseOfTeaching?.namedFigures ?? [] : reporter.lastEvaluation?.local.figures ?? []
        guard let figure = figures.first(where: { $0.name == name }) else {
            throw TrainingError("pbt.fitness: no figure \(name) at step \(step); the measurement gave \(figures.map(\.name).joined(separator: ", "))")
        }
        return figure.value
    }

    /// Refuses a fitness figure the run would never measure, before anything
    /// is written (one line, exit code 2) rather than at the first round.
    /// An evaluation's figures depend on the game and its settings, so the
    /// population is evaluated once to name them; evaluating is greedy and
    /// changes no state a step reads (a one-member PBT run trains exactly as
    /// the run without PBT: PBTFitnessTests).
    func checkFitnessFigure() throws {
        let name = configuration.pbt.fitness
        let names = configuration.pbt.fitnessIsEaseOfTeaching
            ? EaseOfTeaching(curve: [Double](repeating: 0, count: configuration.eval.easeSteps)).namedFigures.map(\.name)
            : population.evaluate().figures.map(\.name)
        guard names.contains(name) else {
            throw ConfigurationError("pbt.fitness: \(configuration.game.kind.rawValue) runs measure no figure '\(ConfigurationError.shown(name))'; expected one of \(names.joined(separator: ", "))")
        }
    }
}
