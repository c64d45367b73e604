#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One step of a GRU over a batch, in PyTorch's formulation:
/// r = σ(x·Wr + br + h·Ur + cr), z = σ(x·Wz + bz + h·Uz + cz),
/// n = tanh(x·Wn + bn + r ⊙ (h·Un + cn)), h′ = (1 − z) ⊙ n + z ⊙ h,
/// with the three gates fused into `3H`-wide products.
public struct GRUCell {
    public let input: Int
    public let hidden: Int
    public let inputWeight: Parameter   // input × 3H
    public let hiddenWeight: Parameter  // H × 3H
    public let inputBias: Parameter     // 1 × 3H
    public let hiddenBias: Parameter    // 1 × 3H

    public struct Cache {
        /// r, z, n after their nonlinearities.
        public let gates: Matrix
        /// h·U + c (the hidden side's pre-activations; its n band is needed by backward).
        public let hiddenPart: Matrix
        /// ∂L/∂ input-side pre-activations.
        public let inputGateGradients: Matrix
        /// ∂L/∂ hidden-side pre-activations.
        public let hiddenGateGradients: Matrix

        public init(batch: Int, hidden: Int, arena: Arena) {
            gates = arena.matrix(rows: batch, columns: 3 * hidden)
            hiddenPart = arena.matrix(rows: batch, columns: 3 * hidden)
            inputGateGradients = arena.matrix(rows: batch, columns: 3 * hidden)
            hiddenGateGradients = arena.matrix(rows: batch, columns: 3 * hidden)
        }

        private init(gates: Matrix, hiddenPart: Matrix, inputGateGradients: Matrix, hiddenGateGradients: Matrix) {
            self.gates = gates
            self.hiddenPart = hiddenPart
            self.inputGateGradients = inputGateGradients
            self.hiddenGateGradients = hiddenGateGradients
        }

        public func prefix(_ rows: Int) -> Cache {
            Cache(gates: gates.rows(0..<rows), hiddenPart: hiddenPart.rows(0..<rows),
                  inputGateGradients: inputGateGradients.rows(0..<rows),
                  hiddenGateGradients: hiddenGateGradients.rows(0..<rows))
        }
    }

    public static func parameterCount(input: Int, hidden: Int) -> Int {
        (input + hidden + 2) * 3 * hidden
    }

    /// Initialised as PyTorch's `nn.GRUCell`: uniform in ±1/√hidden.
    public init(input: Int, hidden: Int, parameters: Parameters) {
        self.input = input
        self.hidden = hidden
        let bound = 1 / Float(hidden).squareRoot()
        inputWeight = parameters.claim(rows: input, columns: 3 * hidden, initializer: .uniform(bound))
        hiddenWeight = parameters.claim(rows: hidden, columns: 3 * hidden, initializer: .uniform(bound))
        inputBias = parameters.claim(rows: 1, columns: 3 * hidden, initializer: .uniform(bound))
        hiddenBias = parameters.claim(rows: 1, columns: 3 * hidden, initializer: .uniform(bound))
    }

    /// One step; a nil `hiddenIn` is a zero state. With `inputPrepared`,
    /// `cache.gates` already holds `x·W` and `x` is ignored.
    @inlinable
    public func forward(input x: Matrix?, hiddenIn h: Matrix?, cache: Cache, hiddenOut: Matrix, inputPrepared: Bool = false) {
        let H = hidden
        let gates = cache.gates
        Kernels.addInputSide(into: gates, bias: inputBias.value.base, input: x, weight: inputWeight.value,
                             prepared: inputPrepared)
        Kernels.broadcastRows(hiddenBias.value.base, into: cache.hiddenPart)
        if let h { BLAS.gemm(h, hiddenWeight.value, into: cache.hiddenPart, beta: 1) }
        for r in 0..<gates.rows {
            let g = gates.row(r), u = cache.hiddenPart.row(r), out = hiddenOut.row(r)
            let previous: UnsafeMutablePointer<Float>? = h?.row(r)
            for j in 0..<H {
                let reset = FastMath.sigmoid(g[j] + u[j])
                let update = FastMath.sigmoid(g[H + j] + u[H + j])
                let candidate = FastMath.tanh(g[2 * H + j] + reset * u[2 * H + j])
                g[j] = reset; g[H + j] = update; g[2 * H + j] = candidate
                out[j] = (1 - update) * candidate + update * (previous?[j] ?? 0)
            }
        }
    }

    /// Backward through one step; `hiddenGradient` is ∂L/∂h′. Accumulates
    /// weight gradients and writes ∂L/∂x (adding when `accumulateInput`) and ∂L/∂h.
    @inlinable
    public func backward(
        input x: Matrix?, hiddenIn h: Matrix?, cache: Cache, hiddenGradient dh: Matrix,
        inputGradient dx: Matrix? = nil, hiddenInGradient dhIn: Matrix? = nil,
        accumulateInput: Bool = false, inputPrepared: Bool = false
    ) {
        let H = hidden
        let dI = cache.inputGateGradients, dU = cache.hiddenGateGradients
        for r in 0..<dI.rows {
            let g = cache.gates.row(r), u = cache.hiddenPart.row(r), d = dh.row(r)
            let previous: UnsafeMutablePointer<Float>? = h?.row(r)
            let di = dI.row(r), du = dU.row(r)
            for j in 0..<H {
                let reset = g[j], update = g[H + j], candidate = g[2 * H + j]
                let dCandidate = d[j] * (1 - update) * (1 - candidate * candidate)
                let dUpdate = d[j] * ((previous?[j] ?? 0) - candidate) * update * (1 - update)
                let dReset = dCandidate * u[2 * H + j] * reset * (1 - reset)
                di[j] = dReset; di[H + j] = dUpdate; di[2 * H + j] = dCandidate
                du[j] = dReset; du[H + j] = dUpdate; du[2 * H + j] = dCandidate * reset
            }
        }
        Kernels.accumulateColumnSums(dI, into: inputBias.gradient.base)
        Kernels.accumulateColumnSums(dU, into: hiddenBias.gradient.base)
        if !inputPrepared, let x {
            BLAS.gemm(x, transposeA: true, dI, into: inputWeight.gradient, beta: 1)
            if let dx { BLAS.gemm(dI, inputWeight.value, transposeB: true, into: dx, beta: accumulateInput ? 1 : 0) }
        }
        if let h {
            BLAS.gemm(h, transposeA: true, dU, into: hiddenWeight.gradient, beta: 1)
            if let dhIn {
                // The direct path z ⊙ ∂L/∂h′ first, then the gemm adds onto it,
                // so `dhIn` may be the same buffer as `dh` (it is read first).
                for r in 0..<dhIn.rows {
                    let out = dhIn.row(r), g = cache.gates.row(r), d = dh.row(r)
                    for j in 0..<H { out[j] = d[j] * g[H + j] }
                }
                BLAS.gemm(dU, hiddenWeight.value, transposeB: true, into: dhIn, beta: 1)
            }
        } else if let dhIn {
            dhIn.zero()
        }
    }
}
