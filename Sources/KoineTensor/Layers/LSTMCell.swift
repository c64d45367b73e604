#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if arch(x86_64)
import KoineAVX512
#endif

/// One step of an LSTM over a batch, with the four gates fused into one
/// `4H`-wide product per input: `[i f g o] = x·Wx + h·Wh + b` (PyTorch's order).
/// `forward` and `backward` are sequences of public pieces (input side,
/// hidden side, activation), so a caller that shares work between rows, as
/// `RecurrentUnroll` does for message prefixes, composes the same pieces.
public struct LSTMCell {
    public let input: Int
    public let hidden: Int
    public let inputWeight: Parameter   // input × 4H
    public let hiddenWeight: Parameter  // H × 4H
    public let bias: Parameter          // 1 × 4H
    /// The width of the activations' loops (the same values either way).
    public let kernels: VectorKernels

    /// What one step keeps for its backward pass.
    public struct Cache {
        /// Gate activations i, f, g, o (after the nonlinearity).
        public let gates: Matrix
        /// The new cell state c′ (also the next step's cell input).
        public let cell: Matrix
        /// tanh(c′).
        public let cellTanh: Matrix
        /// Gradient with respect to the gates' pre-activations, filled by backward.
        public let gateGradients: Matrix

        public init(batch: Int, hidden: Int, arena: Arena) {
            gates = arena.matrix(rows: batch, columns: 4 * hidden)
            cell = arena.matrix(rows: batch, columns: hidden)
            cellTanh = arena.matrix(rows: batch, columns: hidden)
            gateGradients = arena.matrix(rows: batch, columns: 4 * hidden)
        }

        private init(gates: Matrix, cell: Matrix, cellTanh: Matrix, gateGradients: Matrix) {
            self.gates = gates
            self.cell = cell
            self.cellTanh = cellTanh
            self.gateGradients = gateGradients
        }

        /// The first `rows` rows, for a step over part of the batch.
        public func prefix(_ rows: Int) -> Cache {
            Cache(gates: gates.rows(0..<rows), cell: cell.rows(0..<rows),
                  cellTanh: cellTanh.rows(0..<rows), gateGradients: gateGradients.rows(0..<rows))
        }
    }

    public static func parameterCount(input: Int, hidden: Int) -> Int {
        (input + hidden + 1) * 4 * hidden
    }

    /// Initialised as PyTorch's `nn.LSTMCell`: uniform in ±1/√hidden.
    public init(input: Int, hidden: Int, parameters: Parameters, kernels: VectorKernels = .selected) {
        self.input = input
        self.kernels = kernels
        self.hidden = hidden
        let bound = 1 / Float(hidden).squareRoot()
        inputWeight = parameters.claim(rows: input, columns: 4 * hidden, initializer: .uniform(bound))
        hiddenWeight = parameters.claim(rows: hidden, columns: 4 * hidden, initializer: .uniform(bound))
        bias = parameters.claim(rows: 1, columns: 4 * hidden, initializer: .uniform(bound))
    }

    /// One step. A nil `hiddenIn` or `cellIn` is a zero state (its product is
    /// skipped). With `inputPrepared`, `cache.gates` already holds the input's
    /// contribution `x·Wx` (computed by the caller, e.g. as a table lookup) and
    /// `x` is ignored.
    @inlinable
    public func forward(
        input x: Matrix?, hiddenIn h: Matrix?, cellIn c: Matrix?, cache: Cache, hiddenOut: Matrix, inputPrepared: Bool = false
    ) {
        inputSide(x, into: cache.gates, prepared: inputPrepared)
        if let h { hiddenSide(h, into: cache.gates, accumulate: true) }
        activate(cellIn: c, cache: cache, hiddenOut: hiddenOut)
    }

    /// `gates = x·Wx + b`, or `gates += b` when `prepared` (see `forward`).
    @inlinable
    public func inputSide(_ x: Matrix?, into gates: Matrix, prepared: Bool) {
        Kernels.addInputSide(into: gates, bias: bias.value.base, input: x, weight: inputWeight.value, prepared: prepared)
    }

    /// `gates = h·Wh`, or `gates += h·Wh` when `accumulate`.
    @inlinable
    public func hiddenSide(_ h: Matrix, into gates: Matrix, accumulate: Bool) {
        BLAS.gemm(h, hiddenWeight.value, into: gates, beta: accumulate ? 1 : 0)
    }

    /// The gates' nonlinearities, in place in `cache.gates`, then c′, tanh c′
    /// and h′; `cellIn` (nil: zeros) holds each row's previous cell state.
    @inlinable
    public func activate(cellIn c: Matrix?, cache: Cache, hiddenOut: Matrix) {
        let H = hidden
        let gates = cache.gates
        #if arch(x86_64)
        if kernels == .avx512 {
            for r in 0..<gates.rows {
                LSTMActivation.forward(gates: gates.row(r), previousCell: c?.row(r), cell: cache.cell.row(r),
                                       cellTanh: cache.cellTanh.row(r), hidden: hiddenOut.row(r), units: H)
            }
            return
        }
        #endif
        for r in 0..<gates.rows {
            let g = gates.row(r)
            // Whole bands at a time, so each loop is one vectorisable kernel.
            Kernels.sigmoid(g, count: 2 * H)        // i, f
            Kernels.tanh(g + 2 * H, count: H)       // candidate
            Kernels.sigmoid(g + 3 * H, count: H)    // o
            let cellOut = cache.cell.row(r), tanhOut = cache.cellTanh.row(r), hOut = hiddenOut.row(r)
            if let c {
                let previous = c.row(r)
                for j in 0..<H {
                    let newCell = g[H + j] * previous[j] + g[j] * g[2 * H + j]
                    let t = FastMath.tanh(newCell)
                    cellOut[j] = newCell
                    tanhOut[j] = t
                    hOut[j] = g[3 * H + j] * t
                }
            } else {
                for j in 0..<H {
                    let newCell = g[j] * g[2 * H + j]
                    let t = FastMath.tanh(newCell)
                    cellOut[j] = newCell
                    tanhOut[j] = t
                    hOut[j] = g[3 * H + j] * t
                }
            }
        }
    }

    /// Backward through one step. `hiddenGradient` is ∂L/∂h′; `cellGradient`
    /// (optional) is ∂L/∂c′ arriving from the next step. Accumulates weight
    /// gradients; writes ∂L/∂x (adding when `accumulateInput`), ∂L/∂h and ∂L/∂c
    /// for the inputs that were given and whose gradients are asked for.
    @inlinable
    public func backward(
        input x: Matrix?, hiddenIn h: Matrix?, cellIn c: Matrix?, cache: Cache,
        hiddenGradient dh: Matrix, cellGradient dc: Matrix?,
        inputGradient dx: Matrix? = nil, hiddenInGradient dhIn: Matrix? = nil, cellInGradient dcIn: Matrix? = nil,
        accumulateInput: Bool = false, inputPrepared: Bool = false
    ) {
        activationBackward(cellIn: c, cache: cache, hiddenGradient: dh, cellGradient: dc, cellInGradient: dcIn)
        inputSideBackward(x, gateGradients: cache.gateGradients, inputGradient: dx, accumulate: accumulateInput,
                          prepared: inputPrepared)
        hiddenSideBackward(h, gateGradients: cache.gateGradients, hiddenInGradient: dhIn)
    }

    /// Backward through `activate`: fills `cache.gateGradients` (∂L/∂ gate
    /// pre-activations) and writes each row's ∂L/∂c into `cellInGradient`,
    /// which may be the same buffer as `cellGradient` (each row is read first).
    @inlinable
    public func activationBackward(cellIn c: Matrix?, cache: Cache, hiddenGradient dh: Matrix, cellGradient dc: Matrix?,
                                   cellInGradient dcIn: Matrix?) {
        let H = hidden
        let dG = cache.gateGradients
        #if arch(x86_64)
        if kernels == .avx512 {
            for r in 0..<dG.rows {
                LSTMActivation.backward(gates: cache.gates.row(r), cellTanh: cache.cellTanh.row(r), hiddenGradient: dh.row(r),
                                        cellGradient: dc?.row(r), previousCell: c?.row(r), cellInGradient: dcIn?.row(r),
                                        gateGradients: dG.row(r), units: H)
            }
            return
        }
        #endif
        // One pass over eight units at a time, written with SIMD8 so that it
        // vectorises whatever the buffers' aliasing (∂L/∂c may be written
        // over ∂L/∂c′, lane by lane after it is read); the same operations
        // per unit, in the same order, as the scalar formulas beside them.
        for r in 0..<dG.rows {
            let g = cache.gates.row(r), t = cache.cellTanh.row(r), d = dG.row(r), dhr = dh.row(r)
            let dcr = dc?.row(r), previous = c?.row(r), out = dcIn?.row(r)
            // Units j..<j + n (n ≤ 8); inlined with n = 8 for the whole chunks.
            @inline(__always) func units(_ j: Int, _ n: Int) {
                let i = Kernels.load8(g + j, count: n), f = Kernels.load8(g + H + j, count: n)
                let candidate = Kernels.load8(g + 2 * H + j, count: n), o = Kernels.load8(g + 3 * H + j, count: n)
                let tanhCell = Kernels.load8(t + j, count: n), dhLanes = Kernels.load8(dhr + j, count: n)
                // ∂L/∂c′ in total: from the next step, and through h = o · tanh(c′).
                var cellTotal = dhLanes * o * (1 - tanhCell * tanhCell)
                if let dcr { cellTotal = Kernels.load8(dcr + j, count: n) + cellTotal }
                if let out { Kernels.store8(cellTotal * f, out + j, count: n) }
                var forget = SIMD8<Float>()
                if let previous { forget = cellTotal * Kernels.load8(previous + j, count: n) * f * (1 - f) }
                Kernels.store8(cellTotal * candidate * i * (1 - i), d + j, count: n)
                Kernels.store8(forget, d + H + j, count: n)
                Kernels.store8(cellTotal * i * (1 - candidate * candidate), d + 2 * H + j, count: n)
                Kernels.store8(dhLanes * tanhCell * o * (1 - o), d + 3 * H + j, count: n)
            }
            let whole = H & ~7
            var j = 0
            while j < whole {
                units(j, 8)
                j += 8
            }
            if j < H { units(j, H - j) }
        }
    }

    /// Backward through `inputSide`: accumulates the bias and (unless
    /// `prepared`) input-weight gradients and writes ∂L/∂x (adding when `accumulate`).
    @inlinable
    public func inputSideBackward(_ x: Matrix?, gateGradients dG: Matrix, inputGradient dx: Matrix?, accumulate: Bool,
                                  prepared: Bool) {
        Kernels.accumulateColumnSums(dG, into: bias.gradient.base)
        if !prepared, let x {
            BLAS.gemm(x, transposeA: true, dG, into: inputWeight.gradient, beta: 1)
            if let dx { BLAS.gemm(dG, inputWeight.value, transposeB: true, into: dx, beta: accumulate ? 1 : 0) }
        }
    }

    /// Backward through `hiddenSide`: accumulates the hidden-weight gradient
    /// and writes ∂L/∂h (zeros for a nil, zero, state).
    @inlinable
    public func hiddenSideBackward(_ h: Matrix?, gateGradients dG: Matrix, hiddenInGradient dhIn: Matrix?) {
        if let h {
            BLAS.gemm(h, transposeA: true, dG, into: hiddenWeight.gradient, beta: 1)
            if let dhIn { BLAS.gemm(dG, hiddenWeight.value, transposeB: true, into: dhIn) }
        } else if let dhIn {
            dhIn.zero()
        }
    }
}
