import KoineTensor

/// How a speaker's recurrent cell runs over its games: which rows each step
/// computes, how its input enters, and how each game's logits come out of
/// those rows, with the way back. Chosen when the speaker is built.
protocol SpeakerPass {
    var cell: SpeakerCell { get }

    /// Starts a pass over the games of `targets` (after `unroll.begin`).
    func begin(targets: Indices)

    /// Step `t`'s logits per game into `logits`, from the symbols of
    /// `message` before step `t`.
    func forward(step t: Int, message: Message, targets: Indices, logits: Matrix)

    /// Backward through step `t` (in descending order) from its logits'
    /// gradient; with `symbolGradient`, adds ∂L/∂(the relaxed symbols of step
    /// t − 1) into it.
    func backward(step t: Int, message: Message, targets: Indices, logitGradient: Matrix, symbolGradient: Matrix?)

    /// After step 0's backward: the input's and the initial states' gradients
    /// into the parameters and the encoder.
    func finishBackward(targets: Indices)
}

extension SpeakerPass {
    var encoder: ObjectEncoder { cell.encoder }
    var unroll: RecurrentUnroll { cell.unroll }
    var output: Linear { cell.output }
    var symbolInput: SymbolInput { cell.symbolInput }
    var inputTable: InputTable { cell.inputTable }
}
