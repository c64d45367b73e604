import KoineGame
import KoineTensor

/// How a step weighs the game's loss against Mihai & Hare's rotation loss
/// (`train.multitask`), and the two tasks' gradients on the parameters both
/// reach, kept apart so they can be compared and combined.
final class Multitask {
    let mode: MultitaskMode
    let gameWeight: Float
    let rotationWeight: Float
    /// The rotation task's gradient is set apart first; the game's follows.
    let gradients: TaskGradients
    /// Parameters only the game reaches: their gradient is scaled by its weight.
    let gameOnly: [Parameters]
    /// `uncertainty`: the learned log variances, game first, and their module.
    let uncertainty: UncertaintyWeighting?
    let uncertaintyModule: Module?
    /// Modules the combination owns, to step and checkpoint with the population's.
    let modules: [Module]

    init(configuration: Configuration, shared: [Parameters], gameOnly: [Parameters], optimizer: OptimizerSettings, random: Random) {
        mode = configuration.multitask
        gameWeight = Float(configuration.gameWeight)
        rotationWeight = Float(configuration.rotationWeight)
        gradients = TaskGradients(shared: shared)
        self.gameOnly = gameOnly
        if mode == .uncertainty {
            let parameters = Parameters(count: 2)
            uncertainty = UncertaintyWeighting(tasks: 2, parameters: parameters)
            uncertaintyModule = Module(parameters: parameters, settings: optimizer, initializer: random)
        } else {
            uncertainty = nil
            uncertaintyModule = nil
        }
        modules = uncertaintyModule.map { [$0] } ?? []
    }

    /// The weights of step `step`: the game's (0 when the step trains the
    /// rotation task alone) and the rotation task's.
    func weights(step: Int) -> (game: Float, rotation: Float) {
        switch mode {
        case .fixed, .pcgrad: return (gameWeight, rotationWeight)
        case .alternating: return (step % 2 == 0 ? gameWeight : 0, rotationWeight)
        case .uncertainty: return (uncertainty!.weight(0), uncertainty!.weight(1))
        }
    }

    /// After the game's backward (the rotation task's gradient set apart,
    /// already weighted): the combined gradient in every block, the
    /// game-only parameters scaled, and the learned weights' gradient.
    /// Returns the tasks' cosine on the shared parameters.
    func combine(weights: (game: Float, rotation: Float), losses: (game: Float, rotation: Float)) -> Float {
        let agreement = gradients.combine(firstWeight: 1, secondWeight: weights.game, projectingConflicts: mode == .pcgrad)
        if weights.game != 1 {
            for parameters in gameOnly {
                let gradient = parameters.gradients
                for i in 0..<parameters.count { gradient[i] *= weights.game }
            }
        }
        if let uncertainty {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2) { values in
                values[0] = losses.game
                values[1] = losses.rotation
                uncertainty.combine(UnsafeBufferPointer(values))
            }
        }
        return agreement.cosine
    }

}
