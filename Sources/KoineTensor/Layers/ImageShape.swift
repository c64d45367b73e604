/// The shape of one image: `height × width × channels`.
///
/// A batch of images is a `Matrix` with one image per row, each row the image's
/// pixels in height, width, channel order (NHWC). Channels last because every
/// layer then works on contiguous runs: a convolution is one product of
/// `(images·positions) × (kernel·kernel·channels)` columns by a weight of
/// `(kernel·kernel·channels) × outputChannels`, whose result is already the next
/// layer's NHWC batch (no transpose back); im2col copies `kernel·channels`
/// contiguous Floats at a time; batch normalisation, pooling and the bias are
/// loops over a contiguous channel vector. The same memory seen as
/// `(images·positions) × channels` is one pixel per row (`pixels(_:)`).
public struct ImageShape: Hashable, CustomStringConvertible {
    public let height: Int
    public let width: Int
    public let channels: Int

    public init(height: Int, width: Int, channels: Int) {
        precondition(height > 0 && width > 0 && channels > 0, "image shape \(height)×\(width)×\(channels)")
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Pixels per image.
    @inlinable public var positions: Int { height * width }
    /// Floats per image (a batch row).
    @inlinable public var count: Int { height * width * channels }

    public var description: String { "\(height)×\(width)×\(channels)" }

    /// A batch of these images (contiguous, one image per row) seen as one
    /// pixel per row: `(images·positions) × channels`.
    @inlinable
    public func pixels(_ images: Matrix) -> Matrix {
        precondition(images.columns == count, "image batch has \(images.columns) columns, shape \(self) has \(count)")
        return images.reshaped(rows: images.rows * positions, columns: channels)
    }
}
