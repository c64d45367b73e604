import KoineTensor

/// The matrix products of one training iteration of the bench game as the
/// PyTorch reference (`scripts/reference/li_bowling.py`) runs them: one row
/// per game in every product; each agent's private encoder once over the
/// object space; one-hot symbols as rows of the input weights (lookups, no
/// product) and the speaker's zero start vector likewise; the listener's
/// first step without its zero-state `h·Wh`; each listener's scores against
/// every object in one product, its candidates picked from them. This is the
/// iteration's work before Koine's exact shortcuts (the speaker's first step
/// per object, listener steps per distinct prefix, scores per candidate), so
/// its FLOPs over Koine's time is the throughput those shortcuts buy.
/// `scripts/bench-vs-pytorch` checks the count against the reference's, which
/// its self-test checks against torch's own `FlopCounterMode`.
public struct ReferenceIteration {
    public let products: [GemmShape]

    public var flops: Int { products.reduce(0) { $0 + $1.flops } }

    /// `objects × width` one-hot objects, `batch` games per listener, hidden
    /// `hidden`, an LSTM (4 gates), messages of `length` symbols from `vocabulary`.
    public init(objects: Int, width: Int, batch: Int, hidden: Int, vocabulary: Int, length: Int, candidates: Int,
         listeners: Int) {
        var products: [GemmShape] = []
        let gates = 4 * hidden
        /// A forward product `m × k · k × n`, the weight's gradient, and the
        /// input's gradient when the input is differentiable.
        func product(_ m: Int, _ k: Int, _ n: Int, inputGradient: Bool = true) {
            products.append(GemmShape(m: m, n: n, k: k, transposeA: false, transposeB: false))
            products.append(GemmShape(m: k, n: n, k: m, transposeA: true, transposeB: false))
            if inputGradient { products.append(GemmShape(m: m, n: k, k: n, transposeA: false, transposeB: true)) }
        }
        product(objects, width, hidden, inputGradient: false)  // the speaker's encoder over the object space
        for _ in 0..<length {                                    // speaker: hidden, output
            product(batch, hidden, gates)
            product(batch, hidden, vocabulary)
        }
        for _ in 0..<listeners {
            product(objects, width, hidden, inputGradient: false)  // its encoder
            for _ in 1..<length { product(batch, hidden, gates) }  // steps after the first (from a zero state)
            product(batch, hidden, hidden)                       // query
            product(batch, hidden, objects)                      // scores against every object
        }
        self.products = products
    }
}
