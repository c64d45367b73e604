import KoineTensor

/// An LSTM or GRU unrolled over a fixed number of steps, with the hidden
/// states, caches and gradient buffers of every step allocated once.
public final class RecurrentUnroll {
    public let kind: CellKind
    public let steps: Int
    public let capacity: Int
    public let hidden: Int
    private let lstm: LSTMCell?
    private let gru: GRUCell?
    private var lstmCaches: [LSTMCell.Cache] = []
    private var gruCaches: [GRUCell.Cache] = []
    /// h after each step.
    public let hiddenStates: [Matrix]
    /// ∂L/∂h of each step; callers add their contributions before `backward(step:)`.
    public let hiddenGradients: [Matrix]
    private let cellGradient: Matrix
    private let cellGradientPrevious: Matrix
    private var rows = 0

    public static func parameterCount(kind: CellKind, input: Int, hidden: Int) -> Int {
        switch kind {
        case .lstm: return LSTMCell.parameterCount(input: input, hidden: hidden)
        case .gru: return GRUCell.parameterCount(input: input, hidden: hidden)
        }
    }

    public init(kind: CellKind, input: Int, hidden: Int, steps: Int, capacity: Int, parameters: Parameters, arena: Arena) {
        self.kind = kind
        self.steps = steps
        self.capacity = capacity
        self.hidden = hidden
        switch kind {
        case .lstm:
            lstm = LSTMCell(input: input, hidden: hidden, parameters: parameters)
            gru = nil
            lstmCaches = (0..<steps).map { _ in LSTMCell.Cache(batch: capacity, hidden: hidden, arena: arena) }
        case .gru:
            gru = GRUCell(input: input, hidden: hidden, parameters: parameters)
            lstm = nil
            gruCaches = (0..<steps).map { _ in GRUCell.Cache(batch: capacity, hidden: hidden, arena: arena) }
        }
        hiddenStates = (0..<steps).map { _ in arena.matrix(rows: capacity, columns: hidden) }
        hiddenGradients = (0..<steps).map { _ in arena.matrix(rows: capacity, columns: hidden) }
        cellGradient = arena.matrix(rows: capacity, columns: hidden)
        cellGradientPrevious = arena.matrix(rows: capacity, columns: hidden)
    }

    /// The hidden state after `step`, for the rows of the current pass.
    public func hiddenState(_ step: Int) -> Matrix { hiddenStates[step].rows(0..<rows) }

    public func hiddenGradient(_ step: Int) -> Matrix { hiddenGradients[step].rows(0..<rows) }

    /// Columns of the fused gate pre-activations: 4H for an LSTM, 3H for a GRU.
    public var gateWidth: Int { (kind == .lstm ? 4 : 3) * hidden }

    /// The input-to-gates weight (`input × gateWidth`).
    public var inputWeight: Parameter { lstm?.inputWeight ?? gru!.inputWeight }

    /// The hidden-to-gates weight (`hidden × gateWidth`).
    public var hiddenWeight: Parameter { lstm?.hiddenWeight ?? gru!.hiddenWeight }

    /// Where a caller writes the input's contribution x·W for a step it will
    /// run with `inputPrepared` (e.g. a row of a precomputed table per game).
    public func preparedGates(_ step: Int) -> Matrix {
        lstm != nil ? lstmCaches[step].gates.rows(0..<rows) : gruCaches[step].gates.rows(0..<rows)
    }

    /// ∂L/∂(input-side gate pre-activations) of a step, after its backward.
    public func gateGradients(_ step: Int) -> Matrix {
        lstm != nil ? lstmCaches[step].gateGradients.rows(0..<rows) : gruCaches[step].inputGateGradients.rows(0..<rows)
    }

    /// Starts a pass over `rows` rows.
    public func begin(rows: Int) {
        precondition(rows <= capacity)
        self.rows = rows
    }

    /// Step `step` with `input` (nil: zero input) from the previous step's
    /// state, or from `initialHidden` (nil: zeros) at step 0.
    public func forward(step: Int, input: Matrix?, initialHidden: Matrix?, inputPrepared: Bool = false) {
        let previous: Matrix? = step == 0 ? initialHidden : hiddenStates[step - 1].rows(0..<rows)
        let out = hiddenStates[step].rows(0..<rows)
        if let lstm {
            let cellIn: Matrix? = step == 0 ? nil : lstmCaches[step - 1].cell.rows(0..<rows)
            lstm.forward(input: input, hiddenIn: previous, cellIn: cellIn, cache: lstmCaches[step].prefix(rows), hiddenOut: out,
                         inputPrepared: inputPrepared)
        } else if let gru {
            gru.forward(input: input, hiddenIn: previous, cache: gruCaches[step].prefix(rows), hiddenOut: out,
                        inputPrepared: inputPrepared)
        }
    }

    /// Clears the gradients of a backward pass; call before the last step's.
    public func beginBackward() {
        hiddenGradients[steps - 1].rows(0..<rows).zero()
        cellGradient.rows(0..<rows).zero()
    }

    /// Backward through `step` (call in descending order). Writes ∂L/∂input
    /// into `inputGradient` (adding when `accumulateInput`) and ∂L/∂h of the
    /// previous step into its gradient buffer, or into `initialHiddenGradient`
    /// at step 0.
    public func backward(step: Int, input: Matrix?, initialHidden: Matrix?, inputGradient: Matrix?,
                         initialHiddenGradient: Matrix?, accumulateInput: Bool = false, inputPrepared: Bool = false) {
        let previous: Matrix? = step == 0 ? initialHidden : hiddenStates[step - 1].rows(0..<rows)
        let previousGradient: Matrix? = step == 0 ? initialHiddenGradient : hiddenGradients[step - 1].rows(0..<rows)
        let dh = hiddenGradients[step].rows(0..<rows)
        if let lstm {
            let cellIn: Matrix? = step == 0 ? nil : lstmCaches[step - 1].cell.rows(0..<rows)
            let dcIn = cellGradientPrevious.rows(0..<rows)
            lstm.backward(
                input: input, hiddenIn: previous, cellIn: cellIn, cache: lstmCaches[step].prefix(rows),
                hiddenGradient: dh, cellGradient: cellGradient.rows(0..<rows),
                inputGradient: inputGradient, hiddenInGradient: previousGradient,
                cellInGradient: step == 0 ? nil : dcIn, accumulateInput: accumulateInput, inputPrepared: inputPrepared)
            if step > 0 { cellGradient.rows(0..<rows).copy(from: dcIn) }
        } else if let gru {
            gru.backward(
                input: input, hiddenIn: previous, cache: gruCaches[step].prefix(rows), hiddenGradient: dh,
                inputGradient: inputGradient, hiddenInGradient: previousGradient, accumulateInput: accumulateInput,
                inputPrepared: inputPrepared)
        }
    }

    /// Multiply-adds of one forward step over `rows` rows.
    public func forwardProducts(rows: Int, input: Int, withInput: Bool, withHidden: Bool) -> Int {
        let gates = kind == .lstm ? 4 : 3
        return rows * gates * hidden * ((withInput ? input : 0) + (withHidden ? hidden : 0))
    }
}
