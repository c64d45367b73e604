import KoineGame
import KoineTensor

/// The game's loss with Mihai & Hare's rotation task (one speaker, one
/// listener, one shared encoder, relaxed messages:
/// `Configuration.validateRotationTask`). Nothing is updated until the two
/// tasks' gradients are combined.
///
/// Both losses' gradients are linear in their weights, so one backward pass
/// of their weighted sum serves `fixed`, `alternating` and `uncertainty`. The
/// two gradients are computed apart — the rotation task's first, set aside,
/// then the game's, at the cost of a second backward pass through whatever
/// both reach — when `pcgrad` projects them, and every
/// `train.multitask.measure_every` steps to measure their cosine.
final class RotationObjective: StepObjective {
    let task: RotationTask
    let multitask: Multitask
    let speaker: Speaker
    let listener: Listener
    let batch: GameBatch
    let encoder: ObjectEncoder
    let channel: Channel
    let gradientBuckets: GradientBuckets?
    /// Whether this step's game loss trained the agents (not a step of the rotation task alone).
    private var trainedGame = true

    init(task: RotationTask, multitask: Multitask, speaker: Speaker, listener: Listener, batch: GameBatch,
         encoder: ObjectEncoder, channel: Channel, gradientBuckets: GradientBuckets?) {
        self.task = task
        self.multitask = multitask
        self.speaker = speaker
        self.listener = listener
        self.batch = batch
        self.encoder = encoder
        self.channel = channel
        self.gradientBuckets = gradientBuckets
    }

    var learnsWhilePlaying: Bool { false }

    /// The sender's rotation head reads the shared encoder and the learned
    /// task weights weigh its loss: they are averaged like the encoder. (The
    /// projection and the weights apply to each rank's own gradients, before.)
    var replicated: [Parameters] { multitask.replicated }

    func backward(step: Int, outcome: inout StepOutcome) {
        // The rotation head's forward pass, after the game's.
        let rotation = task.side == .sender
            ? task.forwardSender(encoder)
            : task.forwardReceiver(listener, index: 0, targets: batch.targets, rotations: RotationTask.view(encoder).alterations)
        let weights = multitask.weights(step: step)
        let trainsGame = weights.game > 0
        /// The game's backward (with whatever rotation gradient the listener holds pending); its loss.
        func backwardGame() -> Float {
            let loss = channel.listenerLearns(listener, counts: GameCounts(listener: batch.size, speaker: batch.size))
            speaker.backwardGumbel()
            encoder.backward()
            return loss
        }
        var gameLoss: Float = 0, cosine: Float?
        if trainsGame && !multitask.separates(step: step) {
            // One pass of L_game + (w_rotation / w_game) · L_rotation, scaled by w_game after.
            backwardRotation(weight: weights.rotation / weights.game, alone: false)
            gameLoss = backwardGame()
            multitask.scale(by: weights.game, heads: task.heads)
        } else {
            // The rotation task's gradient, weighted, set apart on the parameters both reach.
            backwardRotation(weight: weights.rotation, alone: true)
            encoder.backward()
            multitask.gradients.setApart()
            // The game's gradient, unless this step trains the rotation task alone.
            if trainsGame { gameLoss = backwardGame() }
            // Their combination; the cosine only when both trained.
            let measured = multitask.combine(weights: weights)
            if trainsGame { cosine = measured }
        }
        multitask.learnWeights(losses: (gameLoss, rotation.loss))
        outcome.figures.addListener(games: batch.size, accuracy: listener.accuracy(), loss: trainsGame ? gameLoss : nil,
                                    entropy: listener.meanEntropy())
        outcome.figures.addSpeaker(loss: nil, entropy: speaker.meanEntropy())
        outcome.figures.addRotation(loss: rotation.loss, accuracy: rotation.accuracy, games: batch.size, weights: weights, cosine: cosine)
        trainedGame = trainsGame
        // The encoder's gradient is final only now: its all-reduce starts whole.
        gradientBuckets?.ready(0..<encoder.module.parameters.count)
    }

    /// A step of the rotation task alone leaves the modules only the game
    /// reaches as they are, as a framework skips parameters without a gradient.
    func update() {
        for head in task.heads { head.module.step() }
        for module in multitask.modules { module.step() }
        if trainedGame || task.side == .receiver {
            speaker.module.step()
            listener.module.step()
        }
    }

    /// The rotation head's backward at `weight`, into the encoder's table
    /// (sender) or the listener's state (receiver). `alone`: the receiver's
    /// gradient goes on through the listener and the message now; otherwise
    /// the game's backward carries it on with its own.
    private func backwardRotation(weight: Float, alone: Bool) {
        if task.side == .sender {
            task.backwardSender(encoder, weight: weight)
        } else {
            task.backwardReceiver(listener, index: 0, weight: weight)
            if alone {
                listener.backwardFromState()
                speaker.backwardGumbel()
            }
        }
    }
}
