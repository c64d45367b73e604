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
    /// ∂L/∂c′ of the step being run backward, then ∂L/∂c of the step before.
    private let cellGradient: Matrix
    /// Rows of each step's pass, and for a step whose rows continue fewer
    /// distinct previous states, the previous row of each (see `setRows`).
    private var stepRows: [Int]
    private var parents: [Indices?]
    /// For steps with parents (an LSTM only): h·Wh per distinct previous
    /// state, and in backward the gate gradients summed per previous state;
    /// the previous cell state of each row, copied from its parent; and each
    /// row's ∂L/∂c before the rows continuing one parent are summed.
    private let parentGates: Matrix
    private let rowCells: Matrix
    private let rowCellGradients: Matrix

    public static func parameterCount(kind: CellKind, input: Int, hidden: Int) -> Int {
        switch kind {
        case .lstm: return LSTMCell.parameterCount(input: input, hidden: hidden)
        case .gru: return GRUCell.parameterCount(input: input, hidden: hidden)
        }
    }

    /// `stepCapacities`: the most rows each step will run, given when steps
    /// run over distinct states (`setRows` with parents); each step then
    /// keeps only the buffers it can use. Without them every step holds
    /// `capacity` rows and none has parents.
    public init(kind: CellKind, input: Int, hidden: Int, steps: Int, capacity: Int, parameters: Parameters, arena: Arena,
                stepCapacities: [Int]? = nil) {
        self.kind = kind
        self.steps = steps
        self.capacity = capacity
        self.hidden = hidden
        let rows = stepCapacities ?? Array(repeating: capacity, count: steps)
        precondition(rows.count == steps && rows.allSatisfy { $0 <= capacity }, "step capacities exceed the capacity")
        switch kind {
        case .lstm:
            lstm = LSTMCell(input: input, hidden: hidden, parameters: parameters)
            gru = nil
            lstmCaches = rows.map { LSTMCell.Cache(batch: $0, hidden: hidden, arena: arena) }
        case .gru:
            gru = GRUCell(input: input, hidden: hidden, parameters: parameters)
            lstm = nil
            gruCaches = rows.map { GRUCell.Cache(batch: $0, hidden: hidden, arena: arena) }
        }
        hiddenStates = rows.map { arena.matrix(rows: $0, columns: hidden) }
        hiddenGradients = rows.map { arena.matrix(rows: $0, columns: hidden) }
        cellGradient = arena.matrix(rows: capacity, columns: hidden)
        stepRows = Array(repeating: 0, count: steps)
        parents = Array(repeating: nil, count: steps)
        // Parents are rows of a step before the last; their children, of a step after the first.
        let sharing = kind == .lstm && stepCapacities != nil
        let parentCapacity = sharing ? rows.dropLast().max() ?? 0 : 0
        let childCapacity = sharing ? rows.dropFirst().max() ?? 0 : 0
        parentGates = arena.matrix(rows: parentCapacity, columns: 4 * hidden)
        rowCells = arena.matrix(rows: childCapacity, columns: hidden)
        rowCellGradients = arena.matrix(rows: childCapacity, columns: hidden)
    }

    /// The hidden state after `step`, for the rows of the current pass.
    public func hiddenState(_ step: Int) -> Matrix { hiddenStates[step].rows(0..<stepRows[step]) }

    public func hiddenGradient(_ step: Int) -> Matrix { hiddenGradients[step].rows(0..<stepRows[step]) }

    /// Rows of `step`'s pass.
    public func rows(_ step: Int) -> Int { stepRows[step] }

    /// Columns of the fused gate pre-activations: 4H for an LSTM, 3H for a GRU.
    public var gateWidth: Int { (kind == .lstm ? 4 : 3) * hidden }

    /// The input-to-gates weight (`input × gateWidth`).
    public var inputWeight: Parameter { lstm?.inputWeight ?? gru!.inputWeight }

    /// The hidden-to-gates weight (`hidden × gateWidth`).
    public var hiddenWeight: Parameter { lstm?.hiddenWeight ?? gru!.hiddenWeight }

    /// Where a caller writes the input's contribution x·W for a step it will
    /// run with `inputPrepared` (e.g. a row of a precomputed table per game).
    public func preparedGates(_ step: Int) -> Matrix {
        let rows = stepRows[step]
        return lstm != nil ? lstmCaches[step].gates.rows(0..<rows) : gruCaches[step].gates.rows(0..<rows)
    }

    /// ∂L/∂(input-side gate pre-activations) of a step, after its backward.
    public func gateGradients(_ step: Int) -> Matrix {
        let rows = stepRows[step]
        return lstm != nil ? lstmCaches[step].gateGradients.rows(0..<rows) : gruCaches[step].inputGateGradients.rows(0..<rows)
    }

    /// Starts a pass over `rows` rows at every step.
    public func begin(rows: Int) {
        precondition(rows <= capacity)
        for step in 0..<steps {
            stepRows[step] = rows
            parents[step] = nil
        }
    }

    /// Gives `step` (after `begin`) its own `rows`; with `parents`, row r
    /// continues row `parents[r]` of the previous step, whose rows are then
    /// distinct states computed once (an LSTM only). Exact: a state that
    /// depends only on a prefix of the inputs is the same in every row
    /// sharing that prefix.
    public func setRows(_ rows: Int, step: Int, parents stepParents: Indices? = nil) {
        precondition(rows <= hiddenStates[step].rows, "step \(step) holds at most \(hiddenStates[step].rows) rows, not \(rows)")
        precondition(stepParents == nil || (step > 0 && lstm != nil && stepRows[step - 1] <= parentGates.rows
                                            && rows <= rowCells.rows),
                     "parents need an LSTM step after the first, within the parent capacity")
        stepRows[step] = rows
        parents[step] = stepParents
    }

    /// Step `step` with `input` (nil: zero input) from the previous step's
    /// state, or from `initialHidden` (nil: zeros) at step 0.
    public func forward(step: Int, input: Matrix?, initialHidden: Matrix?, inputPrepared: Bool = false) {
        let rows = stepRows[step], previousRows = step == 0 ? rows : stepRows[step - 1]
        precondition(rows <= hiddenStates[step].rows, "step \(step) holds at most \(hiddenStates[step].rows) rows, not \(rows)")
        let previous: Matrix? = step == 0 ? initialHidden : hiddenStates[step - 1].rows(0..<previousRows)
        let out = hiddenStates[step].rows(0..<rows)
        if let lstm {
            let cache = lstmCaches[step].prefix(rows)
            let cellIn: Matrix? = step == 0 ? nil : lstmCaches[step - 1].cell.rows(0..<previousRows)
            if let stepParents = parents[step], let previous, let cellIn {
                // The cell's own forward, with the hidden side computed once per parent.
                lstm.inputSide(input, into: cache.gates, prepared: inputPrepared)
                let product = parentGates.rows(0..<previousRows)
                lstm.hiddenSide(previous, into: product, accumulate: false)
                for r in 0..<rows { Kernels.axpy(1, product.row(stepParents[r]), cache.gates.row(r), count: gateWidth) }
                lstm.activate(cellIn: parentRows(of: cellIn, stepParents, rows: rows), cache: cache, hiddenOut: out)
            } else {
                lstm.forward(input: input, hiddenIn: previous, cellIn: cellIn, cache: cache, hiddenOut: out,
                             inputPrepared: inputPrepared)
            }
        } else if let gru {
            gru.forward(input: input, hiddenIn: previous, cache: gruCaches[step].prefix(rows), hiddenOut: out,
                        inputPrepared: inputPrepared)
        }
    }

    /// Clears the gradients of a backward pass; call before the last step's.
    public func beginBackward() {
        hiddenGradients[steps - 1].rows(0..<stepRows[steps - 1]).zero()
        cellGradient.rows(0..<stepRows[steps - 1]).zero()
    }

    /// Backward through `step` (call in descending order). Writes ∂L/∂input
    /// into `inputGradient` (adding when `accumulateInput`) and ∂L/∂h of the
    /// previous step into its gradient buffer, or into `initialHiddenGradient`
    /// at step 0.
    public func backward(step: Int, input: Matrix?, initialHidden: Matrix?, inputGradient: Matrix?,
                         initialHiddenGradient: Matrix?, accumulateInput: Bool = false, inputPrepared: Bool = false) {
        let rows = stepRows[step], previousRows = step == 0 ? rows : stepRows[step - 1]
        let previous: Matrix? = step == 0 ? initialHidden : hiddenStates[step - 1].rows(0..<previousRows)
        let previousGradient: Matrix? = step == 0 ? initialHiddenGradient : hiddenGradients[step - 1].rows(0..<previousRows)
        let dh = hiddenGradients[step].rows(0..<rows)
        if let lstm {
            let cache = lstmCaches[step].prefix(rows)
            let cellIn: Matrix? = step == 0 ? nil : lstmCaches[step - 1].cell.rows(0..<previousRows)
            let dc = cellGradient.rows(0..<rows)
            if let stepParents = parents[step], let previous, let cellIn {
                // The cell's own backward, with the rows' gradients summed per parent.
                let rowGradients = rowCellGradients.rows(0..<rows)
                lstm.activationBackward(cellIn: parentRows(of: cellIn, stepParents, rows: rows), cache: cache, hiddenGradient: dh,
                                        cellGradient: dc, cellInGradient: rowGradients)
                sumPerParent(rowGradients, stepParents, into: cellGradient.rows(0..<previousRows))
                lstm.inputSideBackward(input, gateGradients: cache.gateGradients, inputGradient: inputGradient,
                                       accumulate: accumulateInput, prepared: inputPrepared)
                let summed = parentGates.rows(0..<previousRows)
                sumPerParent(cache.gateGradients, stepParents, into: summed)
                lstm.hiddenSideBackward(previous, gateGradients: summed, hiddenInGradient: previousGradient)
            } else {
                // ∂L/∂c is written over ∂L/∂c′, which the cell reads first, row by row.
                lstm.backward(
                    input: input, hiddenIn: previous, cellIn: cellIn, cache: cache, hiddenGradient: dh, cellGradient: dc,
                    inputGradient: inputGradient, hiddenInGradient: previousGradient, cellInGradient: cellIn == nil ? nil : dc,
                    accumulateInput: accumulateInput, inputPrepared: inputPrepared)
            }
        } else if let gru {
            gru.backward(
                input: input, hiddenIn: previous, cache: gruCaches[step].prefix(rows), hiddenGradient: dh,
                inputGradient: inputGradient, hiddenInGradient: previousGradient, accumulateInput: accumulateInput,
                inputPrepared: inputPrepared)
        }
    }

    /// For each of a step's `rows`, its parent's row of `states`.
    private func parentRows(of states: Matrix, _ parents: Indices, rows: Int) -> Matrix {
        let out = rowCells.rows(0..<rows)
        for r in 0..<rows { out.row(r).update(from: states.row(parents[r]), count: hidden) }
        return out
    }

    /// `sums` = the rows of `rows` added up per parent, in row order from zero.
    private func sumPerParent(_ rows: Matrix, _ parents: Indices, into sums: Matrix) {
        sums.zero()
        for r in 0..<rows.rows { Kernels.axpy(1, rows.row(r), sums.row(parents[r]), count: rows.columns) }
    }
}
