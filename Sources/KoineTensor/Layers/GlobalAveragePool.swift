/// Global average pooling: each image's channels averaged over its pixels,
/// `images × (height·width·channels)` to `images × channels` (the end of a
/// convolutional encoder, before a linear map).
public struct GlobalAveragePool {
    public let input: ImageShape

    public init(input: ImageShape) { self.input = input }

    @inlinable
    public func forward(_ x: Matrix, into y: Matrix) {
        precondition(x.columns == input.count && y.columns == input.channels && y.rows == x.rows,
                     "average pool: \(x.rows)×\(x.columns) into \(y.rows)×\(y.columns), expected images of \(input)")
        let channels = input.channels, perPixel = 1 / Float(input.positions)
        for image in 0..<x.rows {
            let source = x.row(image), target = y.row(image)
            target.update(repeating: 0, count: channels)
            for pixel in 0..<input.positions { Kernels.axpy(1, source + pixel * channels, target, count: channels) }
            for c in 0..<channels { target[c] *= perPixel }
        }
    }

    /// `dx` of every pixel is its image's `dy / pixels`.
    @inlinable
    public func backward(outputGradient dy: Matrix, inputGradient dx: Matrix) {
        precondition(dx.columns == input.count && dy.columns == input.channels && dy.rows == dx.rows, "average pool: gradient shapes")
        let channels = input.channels, perPixel = 1 / Float(input.positions)
        for image in 0..<dy.rows {
            let source = dy.row(image), target = dx.row(image)
            for pixel in 0..<input.positions {
                let p = target + pixel * channels
                for c in 0..<channels { p[c] = source[c] * perPixel }
            }
        }
    }
}
