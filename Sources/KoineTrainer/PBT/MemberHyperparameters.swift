import KoineGame

extension Population {
    /// Sets the hyperparameters population-based training explores, `values`
    /// in the order of `explored`. Called when the run is built or restored
    /// and at each round, never inside a step: a step reads the values where
    /// they always live (each optimizer's learning rate, the channel's entropy
    /// weight, the speakers' temperature, the listeners' reset schedule), so
    /// the step has no PBT branch.
    public func apply(_ values: [Double], of explored: [ExploredHyperparameter]) {
        precondition(values.count == explored.count, "a value per explored hyperparameter")
        for (hyperparameter, value) in zip(explored, values) {
            switch hyperparameter.name {
            case .learningRate:
                // Every module of the member: its agents and their private encoders.
                for (_, module) in modules { module.optimizer.learningRate = Float(value) }
            case .entropy:
                // The configuration refuses an explored entropy bonus without REINFORCE.
                guard let reinforce = channel as? ReinforceChannel else { preconditionFailure("an entropy bonus needs REINFORCE") }
                reinforce.entropyWeight = Float(value)
            case .temperature:
                for speaker in speakers { speaker.temperature = Float(value) }
            case .resetPeriod:
                // The schedule is a function of the step: from the round on,
                // resets fall on multiples of the new period.
                var settings = listenerResets.settings
                settings.every = Int(value)
                listenerResets = ResetSchedule(settings: settings, count: listenerResets.count)
            }
        }
    }

    /// The values `apply` set, read back from where they live (for tests and lineage).
    public func hyperparameters(_ explored: [ExploredHyperparameter]) -> [Double] {
        explored.map { hyperparameter in
            switch hyperparameter.name {
            case .learningRate: return Double(speakers[0].module.optimizer.learningRate)
            case .entropy: return Double((channel as? ReinforceChannel)?.entropyWeight ?? 0)
            case .temperature: return Double(speakers[0].temperature)
            case .resetPeriod: return Double(listenerResets.settings.every)
            }
        }
    }
}
