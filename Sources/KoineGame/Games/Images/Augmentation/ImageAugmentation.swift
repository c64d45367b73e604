#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KoineTensor

/// Mihai & Hare's augmentations of the sender's images: Gaussian noise of a
/// given standard deviation, and rotations — by a whole number of quarter
/// turns (exact: pixels move, none is interpolated) or by any angle (bilinear,
/// zero outside the image). Applied per image, seeded, to NHWC rows (one image
/// per row, as the visual encoder's batches are).
public struct ImageAugmentation: Equatable, Sendable {
    public enum Rotation: String, CaseIterable, Sendable {
        case none
        /// 0°, 90°, 180° or 270° counterclockwise, uniformly.
        case quarterTurns = "quarter_turns"
        /// Uniform over [0°, 360°).
        case anyAngle = "any_angle"
    }

    /// Standard deviation of the noise added to every pixel value; 0: none.
    public let noise: Float
    public let rotation: Rotation

    public init(noise: Float = 0, rotation: Rotation = .none) {
        precondition(noise >= 0 && noise.isFinite, "augmentation: noise \(noise)")
        self.noise = noise
        self.rotation = rotation
    }

    public var isIdentity: Bool { noise == 0 && rotation == .none }

    /// Quarter-turn classes a rotation-prediction head tells apart.
    public static let rotationClasses = 4

    /// Writes each row of `source` augmented into the same row of `target`
    /// (they must not overlap) and, when given, each image's rotation class
    /// into `rotations`: its quarter turns, or for any angle the nearest
    /// quarter turn. Rotations need square images.
    public func apply(_ source: Matrix, shape: ImageShape, into target: Matrix, rotations: Indices? = nil, random: inout Random) {
        precondition(source.columns == shape.count && target.columns == shape.count && target.rows == source.rows,
                     "augmentation: \(source.rows) images of \(source.columns) Floats into \(target.rows) of \(target.columns), shape \(shape)")
        precondition(rotation == .none || shape.height == shape.width, "augmentation: rotations need square images, not \(shape)")
        for image in 0..<source.rows {
            let from = source.row(image), to = target.row(image)
            var turns = 0
            switch rotation {
            case .none:
                to.update(from: from, count: shape.count)
            case .quarterTurns:
                turns = random.nextInt(below: 4)
                ImageAugmentation.rotate(from, quarterTurns: turns, shape: shape, into: to)
            case .anyAngle:
                let angle = random.nextFloat() * 2 * .pi
                turns = Int((angle / (.pi / 2)).rounded()) % 4
                ImageAugmentation.rotate(from, angle: angle, shape: shape, into: to)
            }
            if noise > 0 { for i in 0..<shape.count { to[i] += noise * random.nextNormal() } }
            rotations?[image] = turns
        }
    }

    /// Rotates an n × n NHWC image by `quarterTurns` × 90° counterclockwise:
    /// the output pixel (y, x) is the input pixel (x, n−1−y) for one turn
    /// (numpy's `rot90`), and so on.
    public static func rotate(_ source: UnsafePointer<Float>, quarterTurns: Int, shape: ImageShape,
                              into target: UnsafeMutablePointer<Float>) {
        let n = shape.width, channels = shape.channels
        for y in 0..<n {
            for x in 0..<n {
                let (sourceY, sourceX): (Int, Int)
                switch ((quarterTurns % 4) + 4) % 4 {
                case 0: (sourceY, sourceX) = (y, x)
                case 1: (sourceY, sourceX) = (x, n - 1 - y)
                case 2: (sourceY, sourceX) = (n - 1 - y, n - 1 - x)
                default: (sourceY, sourceX) = (n - 1 - x, y)
                }
                (target + (y * n + x) * channels).update(from: source + (sourceY * n + sourceX) * channels, count: channels)
            }
        }
    }

    /// Rotates a square NHWC image by `angle` radians counterclockwise about
    /// its centre: each output pixel samples the input bilinearly at the point
    /// that lands on it; points outside the image count as zero.
    public static func rotate(_ source: UnsafePointer<Float>, angle: Float, shape: ImageShape,
                              into target: UnsafeMutablePointer<Float>) {
        let n = shape.width, channels = shape.channels
        let centre = Float(n - 1) / 2
        // The inverse map: an output point rotated back by −angle.
        let cosine = Float(cos(Double(angle))), sine = Float(sin(Double(angle)))
        for y in 0..<n {
            for x in 0..<n {
                let dx = Float(x) - centre, dy = Float(y) - centre
                // Image rows grow downwards, so counterclockwise on screen is
                // clockwise in (x, y): the inverse turns (dx, dy) by +angle there.
                let sourceX = centre + cosine * dx - sine * dy
                let sourceY = centre + sine * dx + cosine * dy
                let out = target + (y * n + x) * channels
                out.update(repeating: 0, count: channels)
                let left = Int(sourceX.rounded(.down)), top = Int(sourceY.rounded(.down))
                let fx = sourceX - Float(left), fy = sourceY - Float(top)
                for corner in 0..<4 {
                    let row = top + corner / 2, column = left + corner % 2
                    let weight = (corner % 2 == 0 ? 1 - fx : fx) * (corner / 2 == 0 ? 1 - fy : fy)
                    guard row >= 0 && row < n && column >= 0 && column < n && weight > 0 else { continue }
                    let input = source + (row * n + column) * channels
                    for c in 0..<channels { out[c] += weight * input[c] }
                }
            }
        }
    }
}
