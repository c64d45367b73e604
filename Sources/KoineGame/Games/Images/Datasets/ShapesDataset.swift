import KoineTensor

/// The `shapes` data set: one coloured shape per image, its attributes (shape,
/// colour, size, position) drawn uniformly and independently by seed, rendered
/// with `ShapeRenderer`. Embedded, so the image game runs with nothing to download.
/// An image's class is its shape.
public enum ShapesDataset {
    public static let attributeNames = ["shape", "colour", "size", "position"]

    /// `train` and `test` images of side × side RGB; the two splits come from
    /// independent streams of `seed`, so neither depends on the other's size.
    public static func make(side: Int, train: Int, test: Int, seed: UInt64) -> (train: ImageSet, test: ImageSet) {
        let random = Random(seed: seed).split(0x5348_4150_4553)  // "SHAPES"
        return (render(count: train, side: side, random: random.split(0)),
                render(count: test, side: side, random: random.split(1)))
    }

    /// The pictures `count` images of a stream show, in order.
    public static func pictures(count: Int, side: Int, random: Random) -> [ShapePicture] {
        var generator = random
        let shift = ShapeRenderer.maximumShift(side: side)
        return (0..<count).map { _ in
            ShapePicture(shape: generator.nextInt(below: ShapeRenderer.shapes.count),
                         colour: generator.nextInt(below: ShapeRenderer.colours.count),
                         size: generator.nextInt(below: ShapeRenderer.sizes.count),
                         position: generator.nextInt(below: ShapeRenderer.positions.count),
                         rowShift: generator.nextInt(below: 2 * shift + 1) - shift,
                         columnShift: generator.nextInt(below: 2 * shift + 1) - shift)
        }
    }

    static func render(count: Int, side: Int, random: Random) -> ImageSet {
        let pictures = pictures(count: count, side: side, random: random)
        let length = 3 * side * side
        var pixels = [Float](repeating: 0, count: count * length)
        pixels.withUnsafeMutableBufferPointer { buffer in
            for (index, picture) in pictures.enumerated() {
                ShapeRenderer.draw(picture, side: side, into: buffer.baseAddress! + index * length)
            }
        }
        let attributes = ImageAttributes(
            names: attributeNames,
            valueNames: [ShapeRenderer.shapes, ShapeRenderer.colours, ShapeRenderer.sizes, ShapeRenderer.positions],
            values: pictures.flatMap { [$0.shape, $0.colour, $0.size, $0.position] })
        return ImageSet(channels: 3, height: side, width: side, pixels: pixels, labels: pictures.map(\.shape),
                        classNames: ShapeRenderer.shapes, attributes: attributes)
    }
}
