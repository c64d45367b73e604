/// `y = x · W + b` for a batch of row vectors; `W` is `input × output`.
public struct Linear {
    public let input: Int
    public let output: Int
    public let weight: Parameter
    public let bias: Parameter?

    public static func parameterCount(input: Int, output: Int, bias: Bool = true) -> Int {
        input * output + (bias ? output : 0)
    }

    /// Claims its blocks from `parameters`; initialised as PyTorch's
    /// `nn.Linear`: uniform in ±1/√input.
    public init(input: Int, output: Int, bias: Bool = true, parameters: Parameters) {
        self.input = input
        self.output = output
        let bound = 1 / Float(input).squareRoot()
        weight = parameters.claim(rows: input, columns: output, initializer: .uniform(bound))
        self.bias = bias ? parameters.claim(rows: 1, columns: output, initializer: .uniform(bound)) : nil
    }

    /// `[W; b]`, `(input + 1) × output`: the bias is claimed right after the
    /// weight, so the affine map is one linear map of the input with a
    /// constant 1 appended. Nil without a bias.
    public var augmented: Parameter? {
        guard let bias else { return nil }
        precondition(bias.offset == weight.offset + input * output, "linear: bias not adjacent to its weight")
        return Parameter(value: Matrix(weight.value.base, rows: input + 1, columns: output),
                         gradient: Matrix(weight.gradient.base, rows: input + 1, columns: output), offset: weight.offset)
    }

    /// `y = x · W + b` (or `y += x · W` when `accumulate`, without the bias).
    @inlinable
    public func forward(_ x: Matrix, into y: Matrix, accumulate: Bool = false) {
        if accumulate {
            BLAS.gemm(x, weight.value, into: y, beta: 1)
            return
        }
        if let bias {
            Kernels.broadcastRows(bias.value.base, into: y)
            BLAS.gemm(x, weight.value, into: y, beta: 1)
        } else {
            BLAS.gemm(x, weight.value, into: y)
        }
    }

    /// Accumulates `dW += xᵀ · dy`, `db += Σ dy`; writes (or adds, with
    /// `accumulateInput`) `dx = dy · Wᵀ` when `inputGradient` is given.
    @inlinable
    public func backward(
        _ x: Matrix, outputGradient dy: Matrix, inputGradient dx: Matrix? = nil, accumulateInput: Bool = false
    ) {
        BLAS.gemm(x, transposeA: true, dy, into: weight.gradient, beta: 1)
        if let bias { Kernels.accumulateColumnSums(dy, into: bias.gradient.base) }
        if let dx { BLAS.gemm(dy, weight.value, transposeB: true, into: dx, beta: accumulateInput ? 1 : 0) }
    }
}
