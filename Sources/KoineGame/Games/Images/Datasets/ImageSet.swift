/// Images decoded once into one contiguous array, with their class labels.
///
/// Pixels are Float32 in NCHW order (image, channel, row, column) — each
/// channel a contiguous plane, the layout convolutions read — and normalised
/// to [0, 1] (byte / 255). Any standardisation is the encoder's business.
public struct ImageSet {
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// count × channels × height × width values in [0, 1].
    public let pixels: [Float]
    /// Class index of each image, in 0..<classNames.count.
    public let labels: [Int]
    public let classNames: [String]
    /// Ground-truth attributes of each image, for data sets that have them (`shapes`).
    public let attributes: ImageAttributes?

    public init(channels: Int, height: Int, width: Int, pixels: [Float], labels: [Int],
                classNames: [String], attributes: ImageAttributes? = nil) {
        let length = channels * height * width
        precondition(length > 0 && pixels.count == labels.count * length, "pixels for \(labels.count) images of \(channels)×\(height)×\(width)")
        precondition(labels.allSatisfy { classNames.indices.contains($0) })
        precondition(attributes.map { $0.count == labels.count } ?? true)
        count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
        self.attributes = attributes
    }

    /// Floats per image: channels × height × width.
    public var imageLength: Int { channels * height * width }

    /// The pixels of image `index`, NCHW.
    public func image(_ index: Int) -> ArraySlice<Float> {
        pixels[index * imageLength..<(index + 1) * imageLength]
    }

    /// Channel `channel` of image `index` at (`row`, `column`).
    public func pixel(_ index: Int, channel: Int, row: Int, column: Int) -> Float {
        pixels[((index * channels + channel) * height + row) * width + column]
    }
}

extension ImageSet {
    /// The images at `indices`, in that order, copied into a set of their own.
    public func subset(_ indices: [Int]) -> ImageSet {
        var chosen: [Float] = []
        chosen.reserveCapacity(indices.count * imageLength)
        for index in indices { chosen += image(index) }
        let chosenAttributes = attributes.map { attributes in
            ImageAttributes(names: attributes.names, valueNames: attributes.valueNames,
                            values: indices.flatMap { attributes.values(of: $0) })
        }
        return ImageSet(channels: channels, height: height, width: width, pixels: chosen,
                        labels: indices.map { labels[$0] }, classNames: classNames, attributes: chosenAttributes)
    }
}
