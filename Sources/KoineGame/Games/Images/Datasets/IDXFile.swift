/// An IDX file of unsigned bytes (the MNIST format): two zero bytes, the type
/// 0x08, the number of dimensions, each dimension as a big-endian 32-bit count,
/// then the values, last dimension fastest. Plain or gzipped.
struct IDXFile {
    let shape: [Int]
    /// The whole file; the values start at `offset`.
    let bytes: [UInt8]
    let offset: Int

    /// Reads `path`, which must have `dimensions` dimensions and exactly the bytes they call for.
    init(path: String, dimensions: Int, expected: String) throws(ImageDatasetError) {
        let bytes = try DatasetFiles.read(path, expected: expected)
        let header = 4 + 4 * dimensions
        guard bytes.count >= header, bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08, Int(bytes[3]) == dimensions else {
            let found = bytes.count >= 4 ? "magic \(bytes[0..<4].map { String($0, radix: 16) }.joined(separator: " "))" : "\(bytes.count) bytes"
            throw .malformed(path: path, expected: "\(expected) (IDX magic 0 0 8 \(dimensions))", found: found)
        }
        let shape = (0..<dimensions).map { dimension in
            (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * dimension + $1]) }
        }
        let values = shape.reduce(1, *)
        guard bytes.count == header + values else {
            throw .malformed(path: path, expected: "\(header + values) bytes for shape \(shape.map(String.init).joined(separator: "×"))",
                             found: "\(bytes.count) bytes")
        }
        self.shape = shape
        self.bytes = bytes
        offset = header
    }
}
