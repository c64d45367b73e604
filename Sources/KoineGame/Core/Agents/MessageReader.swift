import KoineTensor

/// How a listener's recurrent cell reads a message: each step's input
/// written and the unroll run over the message's games, then the way back.
/// Chosen when the listener is built.
protocol MessageReader {
    /// Runs the unroll over the first `rows` games of `message`.
    func forward(_ message: Message, rows: Int)

    /// The state row each game reads after `forward`, when games share rows;
    /// nil when row b is game b.
    func stateRows(_ message: Message, rows: Int) -> Indices?

    /// Backward through every step, from the gradient the caller put in the
    /// last step's hidden gradient; a relaxed message's gradient is added
    /// into `message.gradients` for the speaker.
    func backward(_ message: Message, rows: Int)
}
