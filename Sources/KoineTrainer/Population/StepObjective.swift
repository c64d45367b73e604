import KoineGame
import KoineTensor

/// What a training step learns from once its games are played, chosen when
/// the population is built: the game's losses alone, learnt as each listener
/// finishes its games (`GameObjective`), or the game's with another task's,
/// combined before anything is updated (`RotationObjective`).
protocol StepObjective: AnyObject {
    /// Whether listeners learn from each batch of games as they play it and
    /// every agent updates right after its last game of the step (see
    /// `Population.updateListeners(finishedWith:)`); otherwise the games are
    /// only played, and `backward` and `update` do the rest.
    var learnsWhilePlaying: Bool { get }
    /// Step 5: the backward passes still to do once every game was played,
    /// through the encoders, with their figures.
    func backward(step: Int, outcome: inout StepOutcome)
    /// Gradients other than the shared encoder's that are averaged over
    /// ranks, so the parameters stay identical on every rank.
    var replicated: [Parameters] { get }
    /// Step 7: the updates this objective still owes (the encoders' follow).
    func update()
}

/// The game's losses alone: listeners and speakers learn and update as they
/// finish their games; what remains is the encoders' backward pass, which
/// starts the shared encoder's all-reduce bucket by bucket.
final class GameObjective: StepObjective {
    let encoders: [ObjectEncoder]

    init(encoders: [ObjectEncoder]) { self.encoders = encoders }

    var learnsWhilePlaying: Bool { true }
    var replicated: [Parameters] { [] }

    func backward(step: Int, outcome: inout StepOutcome) {
        for encoder in encoders { encoder.backward() }
    }

    func update() {}
}
