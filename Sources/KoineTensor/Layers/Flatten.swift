/// Flattening an image batch into vectors for a linear layer. An image batch
/// already is one image per row (`ImageShape`), so flattening is the same
/// memory, and so is its backward: no copy either way. The vector's order is
/// height, width, channel (PyTorch's NCHW flatten orders channel first; a
/// linear layer learns either, but weights moved between the two must be
/// permuted).
public enum Flatten {
    /// The batch `x` of images of `shape` as `images × shape.count` vectors.
    @inlinable
    public static func forward(_ x: Matrix, shape: ImageShape) -> Matrix {
        precondition(x.columns == shape.count, "flatten: \(x.columns) columns, expected images of \(shape)")
        return x
    }

    /// The gradient with respect to the images: `dy` itself, seen as images of `shape`.
    @inlinable
    public static func backward(outputGradient dy: Matrix, shape: ImageShape) -> Matrix {
        precondition(dy.columns == shape.count, "flatten: \(dy.columns) columns, expected images of \(shape)")
        return dy
    }
}
