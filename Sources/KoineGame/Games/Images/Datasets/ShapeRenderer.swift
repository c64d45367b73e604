/// One coloured shape on a black square image, by its attribute values.
public struct ShapePicture: Equatable {
    /// Index into `ShapeRenderer.shapes`, `.colours`, `.sizes` and `.positions`.
    public var shape: Int
    public var colour: Int
    public var size: Int
    public var position: Int
    /// A small shift of the centre, in pixels, so equal attributes do not mean equal pixels.
    public var rowShift: Int
    public var columnShift: Int

    public init(shape: Int, colour: Int, size: Int, position: Int, rowShift: Int = 0, columnShift: Int = 0) {
        self.shape = shape
        self.colour = colour
        self.size = size
        self.position = position
        self.rowShift = rowShift
        self.columnShift = columnShift
    }
}

/// Draws shapes exactly, in integer arithmetic, so a picture is the same on every machine.
public enum ShapeRenderer {
    /// In the order `covers` draws them.
    public static let shapes = ["square", "circle", "triangle", "cross"]
    public static let colours = ["red", "green", "blue", "yellow", "magenta", "cyan", "white", "orange"]
    public static let sizes = ["small", "large"]
    /// The quadrant the shape is centred in.
    public static let positions = ["top left", "top right", "bottom left", "bottom right"]
    /// RGB bytes of each colour, far apart so no two are confused.
    public static let rgb: [(UInt8, UInt8, UInt8)] = [
        (220, 40, 40), (40, 190, 60), (50, 90, 230), (235, 220, 40),
        (210, 60, 210), (40, 210, 220), (240, 240, 240), (245, 140, 30),
    ]
    /// The smallest image side the geometry fits in.
    public static let minimumSide = 16

    /// The largest shift either way: one pixel in 32.
    public static func maximumShift(side: Int) -> Int { side / 32 }

    /// Half the shape's extent: 4 or 7 pixels in 32, so a large shape shifted
    /// to the edge of its quadrant still fits in the image.
    public static func radius(size: Int, side: Int) -> Int { (size == 0 ? 4 : 7) * side / 32 }

    /// The pixel whose top-left corner is the shape's centre (the middle of its quadrant, shifted).
    public static func centre(of picture: ShapePicture, side: Int) -> (row: Int, column: Int) {
        let row = (picture.position / 2 == 0 ? side / 4 : 3 * side / 4) + picture.rowShift
        let column = (picture.position % 2 == 0 ? side / 4 : 3 * side / 4) + picture.columnShift
        return (row, column)
    }

    /// Draws `picture` into three side × side planes (R, G, B) in [0, 1]; what
    /// lies outside the shape is left as it is (black in a fresh image).
    public static func draw(_ picture: ShapePicture, side: Int, into planes: UnsafeMutablePointer<Float>) {
        precondition(side >= minimumSide && shapes.indices.contains(picture.shape) && colours.indices.contains(picture.colour)
                     && sizes.indices.contains(picture.size) && positions.indices.contains(picture.position))
        let (r, g, b) = rgb[picture.colour]
        let colour = [Float(r) / 255, Float(g) / 255, Float(b) / 255]
        let (centreRow, centreColumn) = centre(of: picture, side: side)
        let radius = radius(size: picture.size, side: side)
        let planeSize = side * side
        for row in max(0, centreRow - radius - 1)..<min(side, centreRow + radius + 1) {
            for column in max(0, centreColumn - radius - 1)..<min(side, centreColumn + radius + 1) {
                // Doubled coordinates of the pixel's centre relative to the shape's.
                let dy = 2 * (row - centreRow) + 1, dx = 2 * (column - centreColumn) + 1
                guard covers(shape: picture.shape, dy: dy, dx: dx, radius: radius) else { continue }
                for channel in 0..<3 { planes[channel * planeSize + row * side + column] = colour[channel] }
            }
        }
    }

    /// Whether a pixel centre at doubled offsets (dy, dx) lies in the shape of half-extent `radius`.
    static func covers(shape: Int, dy: Int, dx: Int, radius: Int) -> Bool {
        let extent = 2 * radius
        guard abs(dy) <= extent && abs(dx) <= extent else { return false }
        switch shape {
        case 0:  // square
            return true
        case 1:  // circle
            return dy * dy + dx * dx <= extent * extent
        case 2:  // triangle: apex at the top, the half-width growing to the radius at the base
            return 2 * abs(dx) <= dy + extent
        default:  // cross: two bars, each a third of the radius wide either side
            return 3 * abs(dy) <= extent || 3 * abs(dx) <= extent
        }
    }
}
