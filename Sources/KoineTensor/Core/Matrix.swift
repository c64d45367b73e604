/// A row-major view of `rows × columns` Floats in memory owned elsewhere
/// (an `Arena` or a `Parameters` block). Rows are `stride` Floats apart, so a
/// view can select a band of columns inside a wider buffer.
public struct Matrix {
    public let base: UnsafeMutablePointer<Float>
    public let rows: Int
    public let columns: Int
    public let stride: Int

    @inlinable
    public init(_ base: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.columns = columns
        self.stride = stride ?? columns
    }

    @inlinable public var count: Int { rows * columns }
    @inlinable public var isContiguous: Bool { stride == columns || rows <= 1 }

    @inlinable
    public subscript(row: Int, column: Int) -> Float {
        get { base[row * stride + column] }
        nonmutating set { base[row * stride + column] = newValue }
    }

    /// The first Float of `row`.
    @inlinable
    public func row(_ row: Int) -> UnsafeMutablePointer<Float> { base + row * stride }

    /// Rows `range` of this matrix, sharing its memory.
    @inlinable
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(base + range.lowerBound * stride, rows: range.count, columns: columns, stride: stride)
    }

    /// Columns `range` of this matrix, sharing its memory.
    @inlinable
    public func columns(_ range: Range<Int>) -> Matrix {
        Matrix(base + range.lowerBound, rows: rows, columns: range.count, stride: stride)
    }

    /// The same memory seen with a different row count (contiguous views only).
    @inlinable
    public func reshaped(rows: Int, columns: Int) -> Matrix {
        precondition(isContiguous && rows * columns == count, "reshape of \(self.rows)x\(self.columns) to \(rows)x\(columns)")
        return Matrix(base, rows: rows, columns: columns)
    }

    public func fill(_ value: Float) {
        for r in 0..<rows {
            let p = row(r)
            for c in 0..<columns { p[c] = value }
        }
    }

    public func zero() { fill(0) }

    /// Copies `source` (same shape) into this matrix.
    public func copy(from source: Matrix) {
        precondition(source.rows == rows && source.columns == columns, "copy shape mismatch")
        for r in 0..<rows { row(r).update(from: source.row(r), count: columns) }
    }

    /// The elements as an array, row by row (for tests and reports; allocates).
    public var array: [Float] {
        var out = [Float]()
        out.reserveCapacity(count)
        for r in 0..<rows { for c in 0..<columns { out.append(self[r, c]) } }
        return out
    }
}
