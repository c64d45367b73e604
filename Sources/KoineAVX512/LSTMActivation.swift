#if arch(x86_64)
/// `LSTMCell.activate` and `activationBackward` for one row, sixteen units
/// at a time: the same operations per unit, in the same order, so every
/// value matches the eight-lane kernels bit for bit.
public enum LSTMActivation {
    typealias Vector = SIMD16<Float>

    /// Gates `g` (4H pre-activations, activated in place), the previous
    /// cell state (nil: zeros), and the row's c′, tanh c′ and h′.
    public static func forward(
        gates g: UnsafeMutablePointer<Float>, previousCell previous: UnsafeMutablePointer<Float>?,
        cell: UnsafeMutablePointer<Float>, cellTanh: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>,
        units H: Int
    ) {
        Exponential.sigmoid(g, count: 2 * H)        // i, f
        Exponential.tanh(g + 2 * H, count: H)       // candidate
        Exponential.sigmoid(g + 3 * H, count: H)    // o
        var j = 0
        while j < H {
            let n = min(16, H - j)
            let forget = Lanes.load(g + H + j, count: n), input = Lanes.load(g + j, count: n)
            let candidate = Lanes.load(g + 2 * H + j, count: n), output = Lanes.load(g + 3 * H + j, count: n)
            let newCell = previous.map { forget * Lanes.load($0 + j, count: n) + input * candidate } ?? input * candidate
            let t = Exponential.tanh(newCell)
            Lanes.store(newCell, cell + j, count: n)
            Lanes.store(t, cellTanh + j, count: n)
            Lanes.store(output * t, hidden + j, count: n)
            j += 16
        }
    }

    /// One row of ∂L/∂ gate pre-activations into `gateGradients`, from the
    /// activated gates, tanh c′, ∂L/∂h′ and (optional) ∂L/∂c′; writes ∂L/∂c
    /// into `cellInGradient`, which may be `cellGradient` (read first, lane by lane).
    public static func backward(
        gates g: UnsafePointer<Float>, cellTanh t: UnsafePointer<Float>, hiddenGradient dh: UnsafePointer<Float>,
        cellGradient dc: UnsafePointer<Float>?, previousCell previous: UnsafePointer<Float>?,
        cellInGradient out: UnsafeMutablePointer<Float>?, gateGradients d: UnsafeMutablePointer<Float>, units H: Int
    ) {
        var j = 0
        while j < H {
            let n = min(16, H - j)
            let i = Lanes.load(g + j, count: n), f = Lanes.load(g + H + j, count: n)
            let candidate = Lanes.load(g + 2 * H + j, count: n), o = Lanes.load(g + 3 * H + j, count: n)
            let tanhCell = Lanes.load(t + j, count: n), dhLanes = Lanes.load(dh + j, count: n)
            var cellTotal = dhLanes * o * (1 - tanhCell * tanhCell)
            if let dc { cellTotal = Lanes.load(dc + j, count: n) + cellTotal }
            if let out { Lanes.store(cellTotal * f, out + j, count: n) }
            var forget = Vector()
            if let previous { forget = cellTotal * Lanes.load(previous + j, count: n) * f * (1 - f) }
            Lanes.store(cellTotal * candidate * i * (1 - i), d + j, count: n)
            Lanes.store(forget, d + H + j, count: n)
            Lanes.store(cellTotal * i * (1 - candidate * candidate), d + 2 * H + j, count: n)
            Lanes.store(dhLanes * tanhCell * o * (1 - o), d + 3 * H + j, count: n)
            j += 16
        }
    }
}
#endif
