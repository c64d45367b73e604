/// 8-bit pixels converted into an image set's Float32 NCHW array in [0, 1].
enum PixelBytes {
    /// How the bytes of one image are ordered.
    enum Layout {
        /// Row by row, the channels of each pixel together (what PNG and JPEG decode to).
        case interleaved
        /// Channel by channel (CIFAR-10's records, and IDX's single channel).
        case planar
    }

    /// Converts `length` = channels × planeSize bytes into `destination`.
    @inline(__always)
    static func convert(_ source: UnsafePointer<UInt8>, layout: Layout, channels: Int, planeSize: Int,
                        into destination: UnsafeMutablePointer<Float>) {
        // A division, not a product with 1/255, so every value is byte / 255 rounded once.
        switch layout {
        case .planar:
            for i in 0..<channels * planeSize { destination[i] = Float(source[i]) / 255 }
        case .interleaved:
            for channel in 0..<channels {
                let plane = destination + channel * planeSize
                for i in 0..<planeSize { plane[i] = Float(source[i * channels + channel]) / 255 }
            }
        }
    }
}
