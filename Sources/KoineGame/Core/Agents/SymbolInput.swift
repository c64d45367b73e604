import KoineTensor

/// How symbols enter an agent's recurrent cell.
public enum SymbolInputKind: String, CaseIterable {
    /// Through a learned embedding table (Koine's default; the speaker also
    /// learns its start symbol's vector).
    case embedding
    /// As one-hot vectors of the vocabulary's width, the start symbol an
    /// all-zero vector (Li & Bowling's code).
    case oneHot = "one_hot"
}

/// The input layer of an agent's cell over `symbols` symbols (the speaker's
/// last one is its start symbol). With an embedding, symbol s enters as row
/// s of the table; one-hot, it enters as itself, so its product with the
/// cell's input weight Wx is row s of Wx (and the start symbol's is zero).
struct SymbolInput {
    let kind: SymbolInputKind
    /// Symbols that are vocabulary (the rest, if any, is the start symbol).
    let vocabulary: Int
    let embedding: Embedding?

    /// The cell's input width.
    var width: Int { embedding?.width ?? vocabulary }

    static func parameterCount(kind: SymbolInputKind, symbols: Int, hidden: Int) -> Int {
        kind == .embedding ? Embedding.parameterCount(count: symbols, width: hidden) : 0
    }

    init(kind: SymbolInputKind, symbols: Int, vocabulary: Int, hidden: Int, parameters: Parameters) {
        self.kind = kind
        self.vocabulary = vocabulary
        embedding = kind == .embedding ? Embedding(count: symbols, width: hidden, parameters: parameters) : nil
    }

    /// table = input(symbol) · Wx for every symbol, with the current parameters.
    func prepare(_ table: InputTable, inputWeight: Parameter) {
        if let embedding {
            BLAS.gemm(embedding.table.value, inputWeight.value, into: table.values)
        } else {
            let width = table.values.columns
            table.values.rows(0..<vocabulary).copy(from: inputWeight.value)
            for row in vocabulary..<table.values.rows { table.values.row(row).update(repeating: 0, count: width) }
        }
    }

    /// Turns the table's gradient into ∂L/∂Wx (and ∂L/∂embedding), then clears it.
    func backward(_ table: InputTable, inputWeight: Parameter) {
        if let embedding {
            BLAS.gemm(embedding.table.value, transposeA: true, table.gradients, into: inputWeight.gradient, beta: 1)
            BLAS.gemm(table.gradients, inputWeight.value, transposeB: true, into: embedding.table.gradient, beta: 1)
        } else {
            // The start symbol's row multiplied a zero vector: no gradient.
            let gradient = inputWeight.gradient
            Kernels.axpy(1, table.gradients.base, gradient.base, count: vocabulary * gradient.columns)
        }
        table.gradients.zero()
    }

    /// x = the input of relaxed (one-hot-like) symbols, or of the start
    /// symbols `start` where `relaxed` is nil.
    func forward(relaxed: Matrix?, start: Indices?, into x: Matrix) {
        switch (embedding, relaxed) {
        case let (embedding?, relaxed?): BLAS.gemm(relaxed, embedding.table.value.rows(0..<vocabulary), into: x)
        case let (embedding?, nil): embedding.forward(start!, into: x)
        case let (nil, relaxed?): x.copy(from: relaxed)
        case (nil, nil): x.zero()
        }
    }

    /// The parameters' share of ∂L/∂x: into the embedding (nothing when one-hot).
    func parameterBackward(relaxed: Matrix?, start: Indices?, inputGradient dx: Matrix) {
        guard let embedding else { return }
        if let relaxed {
            BLAS.gemm(relaxed, transposeA: true, dx, into: embedding.table.gradient.rows(0..<vocabulary), beta: 1)
        } else {
            embedding.backward(start!, outputGradient: dx)
        }
    }

    /// Adds the relaxed symbols' share of ∂L/∂x into `symbolGradient`.
    func symbolBackward(inputGradient dx: Matrix, into symbolGradient: Matrix) {
        if let embedding {
            BLAS.gemm(dx, embedding.table.value.rows(0..<vocabulary), transposeB: true, into: symbolGradient, beta: 1)
        } else {
            for r in 0..<dx.rows { Kernels.axpy(1, dx.row(r), symbolGradient.row(r), count: dx.columns) }
        }
    }
}
