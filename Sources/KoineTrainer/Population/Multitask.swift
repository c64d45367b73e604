import KoineGame
import KoineTensor

/// How a step weighs the game's loss against Mihai & Hare's rotation loss
/// (`train.multitask`), and the two tasks' gradients on the parameters both
/// reach, kept apart when they are compared or projected.
final class Multitask {
    let mode: MultitaskMode
    let gameWeight: Float
    let rotationWeight: Float
    /// Steps between measurements of the tasks' cosine (each a second backward pass).
    let measureEvery: Int
    /// The rotation task's gradient is set apart first; the game's follows.
    let gradients: TaskGradients
    /// Parameters only the game reaches: their gradient is scaled by its weight.
    let gameOnly: [Parameters]
    /// `uncertainty`: the learned log variances, game first, and their module.
    let uncertainty: UncertaintyWeighting?
    let uncertaintyModule: Module?
    /// Modules the combination owns, to step and checkpoint with the population's.
    let modules: [Module]
    /// Parameters kept identical across ranks beside the shared encoder: the
    /// sender's rotation head and the learned weights.
    let replicated: [Parameters]

    init(configuration: Configuration, shared: [Parameters], gameOnly: [Parameters], senderHead: Parameters?,
         optimizer: OptimizerSettings, random: Random) {
        mode = configuration.train.multitask
        gameWeight = Float(configuration.train.gameWeight)
        rotationWeight = Float(configuration.train.rotationWeight)
        measureEvery = configuration.train.multitaskMeasureEvery
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
        replicated = (senderHead.map { [$0] } ?? []) + modules.map(\.parameters)
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

    /// Whether step `step` computes the two gradients apart: always to
    /// project them, and every `measureEvery` steps to measure their cosine.
    func separates(step: Int) -> Bool {
        mode == .pcgrad || step % measureEvery == 0
    }

    /// After the game's backward, with the rotation task's gradient (already
    /// weighted) set apart: the combination in every block and the
    /// game-only parameters scaled by the game's weight. Returns the tasks'
    /// cosine on the parameters both reach.
    func combine(weights: (game: Float, rotation: Float)) -> Float {
        let agreement = gradients.combine(firstWeight: 1, secondWeight: weights.game, projectingConflicts: mode == .pcgrad)
        for parameters in gameOnly { Multitask.scale(parameters, by: weights.game) }
        return agreement.cosine
    }

    /// After one backward pass of L_game + (w_rotation / w_game)·L_rotation:
    /// every gradient it reached times w_game.
    func scale(by weight: Float, heads: [RotationHead]) {
        guard weight != 1 else { return }
        for parameters in gradients.blocks { Multitask.scale(parameters, by: weight) }
        for parameters in gameOnly { Multitask.scale(parameters, by: weight) }
        for head in heads { Multitask.scale(head.module.parameters, by: weight) }
    }

    static func scale(_ parameters: Parameters, by weight: Float) {
        guard weight != 1 else { return }
        let gradient = parameters.gradients
        for i in 0..<parameters.count { gradient[i] *= weight }
    }

    /// `uncertainty`: the learned log variances' gradient from this step's losses.
    func learnWeights(losses: (game: Float, rotation: Float)) {
        guard let uncertainty else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2) { values in
            values[0] = losses.game
            values[1] = losses.rotation
            uncertainty.combine(UnsafeBufferPointer(values))
        }
    }
}
