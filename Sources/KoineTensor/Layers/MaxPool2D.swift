/// 2 × 2 max-pooling with stride 2 over NHWC image batches: each output
/// pixel's channels are the largest of the four input pixels under it, four
/// contiguous channel vectors. An odd last row or column is dropped, as
/// PyTorch's floor mode does.
public struct MaxPool2D {
    public let input: ImageShape
    public let output: ImageShape

    public init(input: ImageShape) {
        precondition(input.height >= 2 && input.width >= 2, "max-pool: \(input) is smaller than its 2 × 2 window")
        self.input = input
        output = ImageShape(height: input.height / 2, width: input.width / 2, channels: input.channels)
    }

    public func forward(_ x: Matrix, into y: Matrix) {
        check(x, y)
        let channels = input.channels, rowFloats = input.width * channels
        for image in 0..<x.rows {
            let source = x.row(image), target = y.row(image)
            for outputY in 0..<output.height {
                for outputX in 0..<output.width {
                    let a = source + (2 * outputY * input.width + 2 * outputX) * channels
                    let b = a + channels, c = a + rowFloats, d = c + channels
                    let out = target + (outputY * output.width + outputX) * channels
                    for k in 0..<channels {
                        let top = a[k] >= b[k] ? a[k] : b[k], bottom = c[k] >= d[k] ? c[k] : d[k]
                        out[k] = top >= bottom ? top : bottom
                    }
                }
            }
        }
    }

    /// Sends each output gradient to the input that was the largest (the
    /// first of equals, in reading order), found again by comparing the input
    /// with the output, so no indices are kept; the others get zero.
    public func backward(input x: Matrix, output y: Matrix, outputGradient dy: Matrix, inputGradient dx: Matrix) {
        check(x, y)
        precondition(dy.rows == x.rows && dy.columns == output.count && dx.rows == x.rows && dx.columns == input.count,
                     "max-pool: gradient shapes")
        let channels = input.channels, rowFloats = input.width * channels
        let covered = input.height % 2 == 0 && input.width % 2 == 0
        for image in 0..<x.rows {
            let source = x.row(image), pooled = y.row(image), gradient = dy.row(image), target = dx.row(image)
            // A dropped odd row or column gets no gradient.
            if !covered { target.update(repeating: 0, count: input.count) }
            for outputY in 0..<output.height {
                for outputX in 0..<output.width {
                    let offset = (2 * outputY * input.width + 2 * outputX) * channels
                    let a = source + offset, b = a + channels, c = a + rowFloats
                    let da = target + offset, db = da + channels, dc = da + rowFloats, dd = dc + channels
                    let out = (outputY * output.width + outputX) * channels
                    let largest = pooled + out, g = gradient + out
                    // Eight channels at a time with masks (the compiler keeps
                    // the scalar selects as branches), then the rest.
                    var k = 0
                    while k + 8 <= channels {
                        let m = MaxPool2D.load(largest + k), gradients = MaxPool2D.load(g + k)
                        let isA = MaxPool2D.load(a + k) .== m
                        let isB = MaxPool2D.load(b + k) .== m .& .!isA
                        let isC = MaxPool2D.load(c + k) .== m .& .!isA .& .!isB
                        let isD = .!(isA .| isB .| isC)
                        let zero = SIMD8<Float>()
                        MaxPool2D.store(zero.replacing(with: gradients, where: isA), da + k)
                        MaxPool2D.store(zero.replacing(with: gradients, where: isB), db + k)
                        MaxPool2D.store(zero.replacing(with: gradients, where: isC), dc + k)
                        MaxPool2D.store(zero.replacing(with: gradients, where: isD), dd + k)
                        k += 8
                    }
                    while k < channels {
                        let m = largest[k]
                        let isA = a[k] == m, isB = !isA && b[k] == m, isC = !isA && !isB && c[k] == m
                        let isD = !isA && !isB && !isC
                        da[k] = isA ? g[k] : 0
                        db[k] = isB ? g[k] : 0
                        dc[k] = isC ? g[k] : 0
                        dd[k] = isD ? g[k] : 0
                        k += 1
                    }
                }
            }
        }
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }

    func check(_ x: Matrix, _ y: Matrix) {
        precondition(x.columns == input.count && y.columns == output.count && y.rows == x.rows,
                     "max-pool: \(x.rows)×\(x.columns) into \(y.rows)×\(y.columns), expected images of \(input) into \(output)")
    }
}
