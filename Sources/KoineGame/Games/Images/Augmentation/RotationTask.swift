import KoineTensor

/// Mihai & Hare's second task as a population plays it: predicting the
/// rotation of the sender's (rotated) image.
///
/// - `sender`: one head reads the encoder's rows of the sender's view, so
///   the task shapes the visual encoder the game also trains.
/// - `receiver`: each listener has a head reading its state after the
///   message, so the rotation has to travel in the message: its gradient
///   reaches the listener, then the speaker through the message, then the encoder.
public final class RotationTask {
    public enum Side: String, CaseIterable, Sendable {
        case none, sender, receiver
    }

    public let side: Side
    /// One head for the sender; one per listener for the receiver.
    public let heads: [RotationHead]
    let arena = Arena()
    /// The receiver's labels: each game's target's rotation.
    let labels: Indices

    public init(side: Side, listeners: Int, hidden: Int, capacity: Int, optimizer: OptimizerSettings, random: Random) {
        precondition(side != .none, "rotation task: a side that predicts")
        self.side = side
        let count = side == .receiver ? listeners : 1
        let arena = self.arena
        heads = (0..<count).map { index in
            RotationHead(hidden: hidden, capacity: capacity, optimizer: optimizer, random: random.split(UInt64(index)), arena: arena)
        }
        labels = arena.indices(capacity)
    }

    /// The sender's head on `encoder`'s augmented rows: its mean
    /// cross-entropy and accuracy.
    @discardableResult
    public func forwardSender(_ encoder: ObjectEncoder) -> (loss: Float, accuracy: Float) {
        let head = heads[0], view = Self.view(encoder)
        let loss = head.forward(encoder.table.rows(view.rows), rotations: view.alterations)
        return (loss, head.accuracy(view.alterations))
    }

    /// The sender's rotated view: the configuration was checked to rotate it.
    public static func view(_ encoder: ObjectEncoder) -> SenderView {
        guard let view = encoder.senderView else { preconditionFailure("rotation task: the sender's view is not rotated") }
        return view
    }

    /// Backward of `weight` × the sender's loss into the head and the encoder's table gradient.
    public func backwardSender(_ encoder: ObjectEncoder, weight: Float) {
        let view = Self.view(encoder)
        heads[0].backward(encoder.table.rows(view.rows), rotations: view.alterations, weight: weight,
                          encodingGradient: encoder.openTableGradient().rows(view.rows))
    }

    /// Listener `index`'s head on its state after the last messages it read;
    /// each game's label is the rotation of its target's sender view
    /// (`rotations`, by scene position).
    @discardableResult
    public func forwardReceiver(_ listener: Listener, index: Int, targets: Indices, rotations: Indices) -> (loss: Float, accuracy: Float) {
        let games = targets.count
        for game in 0..<games { labels[game] = rotations[targets[game]] }
        let head = heads[index], state = listener.messageState
        precondition(state.rows == games, "rotation task: the receiver reads one state per game (relaxed messages)")
        let loss = head.forward(state, rotations: labels.prefix(games))
        return (loss, head.accuracy(labels.prefix(games)))
    }

    /// Backward of `weight` × listener `index`'s loss into its head, leaving
    /// the gradient of the listener's state pending: the listener's next
    /// backward (its game loss's, or `backwardFromState` alone) carries it on.
    public func backwardReceiver(_ listener: Listener, index: Int, weight: Float) {
        let state = listener.messageState
        heads[index].backward(state, rotations: labels.prefix(state.rows), weight: weight,
                              encodingGradient: listener.messageStateGradient.rows(0..<state.rows))
        listener.stateGradientPending = true
    }
}
