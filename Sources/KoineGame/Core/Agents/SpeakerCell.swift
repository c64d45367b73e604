import KoineTensor

/// What every pass of a speaker runs (see SpeakerPass): the encoder whose
/// table holds the targets' states, the recurrent unroll, the output layer
/// (hidden → vocabulary), and the symbols' input layer and folded table
/// (symbols 0..<vocabulary, and the start symbol `vocabulary`).
struct SpeakerCell {
    let encoder: ObjectEncoder
    let unroll: RecurrentUnroll
    let output: Linear
    let symbolInput: SymbolInput
    let inputTable: InputTable
}
