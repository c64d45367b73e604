/// An IDX file of unsigned bytes (the MNIST format): two zero bytes, the type
/// 0x08, the number of dimensions, each dimension as a big-endian 32-bit count,
/// then the values, last dimension fastest. Plain or gzipped.
struct IDXFile {
    let shape: [Int]
    /// The whole file; the values start at `offset`.
    let bytes: [UInt8]
    let offset: Int

    /// Reads `path`, which must have `dimensions` dimensions and exactly the bytes they call for.
    /// The header is read first: the values are inflated only once their
    /// count (an overflow-checked product) is known to be within `limit`.
    init(path: String, dimensions: Int, expected: String, limit: Int = DatasetLimits.fileBytes) throws(ImageDatasetError) {
        let reader = try DatasetFiles.Reader(path, expected: expected)
        let header = 4 + 4 * dimensions
        let head = try reader.read(header)
        guard head.count == header, head[0] == 0, head[1] == 0, head[2] == 0x08, Int(head[3]) == dimensions else {
            let found = head.count >= 4 ? "magic \(head[0..<4].map { String($0, radix: 16) }.joined(separator: " "))" : "\(head.count) bytes"
            throw .malformed(path: path, expected: "\(expected) (IDX magic 0 0 8 \(dimensions))", found: found)
        }
        let shape = (0..<dimensions).map { dimension in
            (0..<4).reduce(0) { $0 << 8 | Int(head[4 + 4 * dimension + $1]) }
        }
        let shapeText = shape.map(String.init).joined(separator: "×")
        guard let values = DatasetLimits.product(shape), values <= limit - header else {
            throw .malformed(path: path, expected: "\(expected) of at most \(limit) bytes", found: "a header of shape \(shapeText)")
        }
        // One byte more than the shape calls for, to see a longer file.
        let body = try reader.read(values + 1)
        guard body.count == values else {
            throw .malformed(path: path, expected: "\(header + values) bytes for shape \(shapeText)",
                             found: body.count > values ? "more bytes" : "\(header + body.count) bytes")
        }
        self.shape = shape
        self.bytes = head + body
        offset = header
    }
}
