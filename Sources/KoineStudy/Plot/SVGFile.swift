import Foundation

/// Writing a chart: the SVG, and a PNG beside it when `rsvg-convert` is
/// installed (many viewers and papers want a raster).
public enum SVGFile {
    /// Writes `svg` to `path` (ending in .svg) and returns the files written.
    @discardableResult
    public static func write(_ svg: String, to path: String) throws -> [String] {
        try svg.write(toFile: path, atomically: true, encoding: .utf8)
        guard let converter = ProgramSearch.find("rsvg-convert") else { return [path] }
        let png = String(path.dropLast(".svg".count)) + ".png"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: converter)
        process.arguments = ["--format", "png", "--output", png, path]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? [path, png] : [path]
    }
}
