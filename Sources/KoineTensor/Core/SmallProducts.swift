#if arch(x86_64)
import KoineAVX512
#endif

/// Register-blocked matrix products for the small shapes of the attribute
/// game's agents (a few to a hundred rows, hidden 100), read straight from the
/// row-major operands. OpenBLAS copies ("packs") both operands into its own
/// layout on every call; at these sizes the copies cost up to a third of the
/// product, and the 10-listener step is mostly such products.
///
/// `C = alpha · op(A) · op(B) + beta · C` for op(A) plain or transposed and
/// op(B) plain (`multiplyRows`), and for A plain and B transposed
/// (`multiplyDots`). `BLAS.gemm` chooses between these and OpenBLAS by shape.
public enum SmallProducts {
    public typealias Vector = SIMD8<Float>

    /// Whether a product of this shape runs here rather than in OpenBLAS:
    /// few rows of C (OpenBLAS's packing of B is not repaid), B small enough
    /// to stay in cache, at most 4.2 M multiply-adds; with B transposed,
    /// fewer rows still and dot products of 256 or more (shorter ones spend
    /// their time in the final sums and the vectors' tails: 32×100·100×100ᵀ
    /// took 24.5 µs here against OpenBLAS's 11.6). The image game's
    /// recurrent products and convolutions stay in OpenBLAS. Measured with
    /// `koine bench game --products`.
    @inlinable
    public static func handles(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> Bool {
        if transposeA && transposeB { return false }
        if transposeB && k < 256 { return false }  // short dot products: the final sums dominate
        return (transposeB ? m <= 32 : m <= 128) && m * n * k <= 4_194_304 && k * n <= 262_144
    }

    /// Runs the product; the caller checked `handles`.
    public static func gemm(
        _ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool, into c: Matrix, alpha: Float, beta: Float,
        kernels: VectorKernels = .selected
    ) {
        let k = transposeA ? a.rows : a.columns
        if transposeB {
            #if arch(x86_64)
            if kernels == .avx512 {
                DotProducts.multiply(a.base, aStride: a.stride, b.base, bStride: b.stride, into: c.base, cStride: c.stride,
                                     rows: c.rows, columns: c.columns, inner: k, alpha: alpha, beta: beta)
                return
            }
            #endif
            multiplyDots(a, b, into: c, k: k, alpha: alpha, beta: beta)
        } else if transposeA {
            // Row i of op(A) is column i of A: element p of it is p rows down.
            multiplyRows(a.base, rowStep: 1, innerStep: a.stride, b, into: c, k: k, alpha: alpha, beta: beta, kernels: kernels)
        } else {
            multiplyRows(a.base, rowStep: a.stride, innerStep: 1, b, into: c, k: k, alpha: alpha, beta: beta, kernels: kernels)
        }
    }

    // MARK: op(B) plain: each row of C is a sum of rows of B.

    /// Tiles of 4 rows × 24 columns (12 accumulators, the most AVX2's 16
    /// registers hold beside 3 rows of B and a broadcast); the columns past
    /// the last whole tile in strips 8 wide and 8 rows tall (8 accumulators,
    /// enough to keep both FMA units busy).
    static func multiplyRows(
        _ a: UnsafeMutablePointer<Float>, rowStep: Int, innerStep: Int, _ b: Matrix, into c: Matrix,
        k: Int, alpha: Float, beta: Float, kernels: VectorKernels
    ) {
        let m = c.rows, n = c.columns
        #if arch(x86_64)
        // The same sums, sixteen lanes wide (`RowProducts`), where there are 16 columns to fill them.
        if n >= 16 && kernels == .avx512 {
            RowProducts.multiply(a, rowStep: rowStep, innerStep: innerStep, b.base, bStride: b.stride,
                                 into: c.base, cStride: c.stride, rows: m, columns: n, inner: k, alpha: alpha, beta: beta)
            return
        }
        #endif
        let tiled = n / 24 * 24
        var row = 0
        while row < m && tiled > 0 {
            let rows = min(4, m - row)
            // Rows past the end repeat the last real one; their sums are not stored.
            let a0 = a + row * rowStep
            let a1 = a + (row + min(1, rows - 1)) * rowStep
            let a2 = a + (row + min(2, rows - 1)) * rowStep
            let a3 = a + (row + min(3, rows - 1)) * rowStep
            var column = 0
            while column < tiled {
                rowTile24(a0, a1, a2, a3, innerStep: innerStep, b.base + column, b.stride, k: k,
                          c.row(row) + column, c.stride, rows: rows, alpha: alpha, beta: beta)
                column += 24
            }
            row += rows
        }
        var column = tiled
        while column < n {
            let width = min(8, n - column)
            // A last strip narrower than 8 reads the 8 columns ending at n
            // (when there are 8) and stores only its own.
            let start = width < 8 && n >= 8 ? n - 8 : column
            var row = 0
            while row < m {
                let rows = min(8, m - row)
                rowStrip8(a + row * rowStep, rowStep: rowStep, innerStep: innerStep, b.base + start, b.stride, k: k,
                          c.row(row) + start, c.stride, rows: rows, width: min(8, n - start),
                          skip: column - start, alpha: alpha, beta: beta)
                row += rows
            }
            column += width
        }
    }

    @inline(__always)
    static func rowTile24(
        _ a0: UnsafeMutablePointer<Float>, _ a1: UnsafeMutablePointer<Float>,
        _ a2: UnsafeMutablePointer<Float>, _ a3: UnsafeMutablePointer<Float>, innerStep: Int,
        _ b: UnsafeMutablePointer<Float>, _ bStride: Int, k: Int,
        _ c: UnsafeMutablePointer<Float>, _ cStride: Int, rows: Int, alpha: Float, beta: Float
    ) {
        var s00 = Vector(), s01 = Vector(), s02 = Vector()
        var s10 = Vector(), s11 = Vector(), s12 = Vector()
        var s20 = Vector(), s21 = Vector(), s22 = Vector()
        var s30 = Vector(), s31 = Vector(), s32 = Vector()
        var bp = b, offset = 0
        for _ in 0..<k {
            let b0 = load(bp), b1 = load(bp + 8), b2 = load(bp + 16)
            var x = Vector(repeating: a0[offset])
            s00.addProduct(x, b0); s01.addProduct(x, b1); s02.addProduct(x, b2)
            x = Vector(repeating: a1[offset])
            s10.addProduct(x, b0); s11.addProduct(x, b1); s12.addProduct(x, b2)
            x = Vector(repeating: a2[offset])
            s20.addProduct(x, b0); s21.addProduct(x, b1); s22.addProduct(x, b2)
            x = Vector(repeating: a3[offset])
            s30.addProduct(x, b0); s31.addProduct(x, b1); s32.addProduct(x, b2)
            bp += bStride
            offset += innerStep
        }
        finish(c, s00, s01, s02, alpha: alpha, beta: beta)
        if rows > 1 { finish(c + cStride, s10, s11, s12, alpha: alpha, beta: beta) }
        if rows > 2 { finish(c + 2 * cStride, s20, s21, s22, alpha: alpha, beta: beta) }
        if rows > 3 { finish(c + 3 * cStride, s30, s31, s32, alpha: alpha, beta: beta) }
    }

    /// Up to 8 rows × `width` (≤ 8) columns of C; lanes below `skip` are
    /// computed but not stored (they belong to the tile before).
    @inline(__always)
    static func rowStrip8(
        _ a: UnsafeMutablePointer<Float>, rowStep: Int, innerStep: Int,
        _ b: UnsafeMutablePointer<Float>, _ bStride: Int, k: Int,
        _ c: UnsafeMutablePointer<Float>, _ cStride: Int, rows: Int, width: Int, skip: Int, alpha: Float, beta: Float
    ) {
        @inline(__always) func rowPointer(_ r: Int) -> UnsafeMutablePointer<Float> { a + min(r, rows - 1) * rowStep }
        let a0 = rowPointer(0), a1 = rowPointer(1), a2 = rowPointer(2), a3 = rowPointer(3)
        let a4 = rowPointer(4), a5 = rowPointer(5), a6 = rowPointer(6), a7 = rowPointer(7)
        var s0 = Vector(), s1 = Vector(), s2 = Vector(), s3 = Vector()
        var s4 = Vector(), s5 = Vector(), s6 = Vector(), s7 = Vector()
        var bp = b, offset = 0
        @inline(__always) func accumulate(_ x: Vector) {
            s0.addProduct(Vector(repeating: a0[offset]), x)
            s1.addProduct(Vector(repeating: a1[offset]), x)
            s2.addProduct(Vector(repeating: a2[offset]), x)
            s3.addProduct(Vector(repeating: a3[offset]), x)
            s4.addProduct(Vector(repeating: a4[offset]), x)
            s5.addProduct(Vector(repeating: a5[offset]), x)
            s6.addProduct(Vector(repeating: a6[offset]), x)
            s7.addProduct(Vector(repeating: a7[offset]), x)
            bp += bStride
            offset += innerStep
        }
        if width == 8 {
            for _ in 0..<k { accumulate(load(bp)) }
        } else {
            for _ in 0..<k { accumulate(Kernels.load8(bp, count: width)) }
        }
        finishLanes(c, s0, from: skip, to: width, alpha: alpha, beta: beta)
        if rows > 1 { finishLanes(c + cStride, s1, from: skip, to: width, alpha: alpha, beta: beta) }
        if rows > 2 { finishLanes(c + 2 * cStride, s2, from: skip, to: width, alpha: alpha, beta: beta) }
        if rows > 3 { finishLanes(c + 3 * cStride, s3, from: skip, to: width, alpha: alpha, beta: beta) }
        if rows > 4 { finishLanes(c + 4 * cStride, s4, from: skip, to: width, alpha: alpha, beta: beta) }
        if rows > 5 { finishLanes(c + 5 * cStride, s5, from: skip, to: width, alpha: alpha, beta: beta) }
        if rows > 6 { finishLanes(c + 6 * cStride, s6, from: skip, to: width, alpha: alpha, beta: beta) }
        if rows > 7 { finishLanes(c + 7 * cStride, s7, from: skip, to: width, alpha: alpha, beta: beta) }
    }

    // MARK: op(B) transposed: each element of C is a dot product of two rows.

    /// Tiles of 4 rows of A × 3 rows of B, each of the 12 sums a vector over
    /// the inner dimension, reduced at the end.
    static func multiplyDots(_ a: Matrix, _ b: Matrix, into c: Matrix, k: Int, alpha: Float, beta: Float) {
        let m = c.rows, n = c.columns
        var row = 0
        while row < m {
            let rows = min(4, m - row)
            let a0 = a.row(row), a1 = a.row(row + min(1, rows - 1))
            let a2 = a.row(row + min(2, rows - 1)), a3 = a.row(row + min(3, rows - 1))
            var column = 0
            while column < n {
                let columns = min(3, n - column)
                let b0 = b.row(column), b1 = b.row(column + min(1, columns - 1)), b2 = b.row(column + min(2, columns - 1))
                dotTile(a0, a1, a2, a3, b0, b1, b2, k: k, c.row(row) + column, c.stride,
                        rows: rows, columns: columns, alpha: alpha, beta: beta)
                column += columns
            }
            row += rows
        }
    }

    @inline(__always)
    static func dotTile(
        _ a0: UnsafeMutablePointer<Float>, _ a1: UnsafeMutablePointer<Float>,
        _ a2: UnsafeMutablePointer<Float>, _ a3: UnsafeMutablePointer<Float>,
        _ b0: UnsafeMutablePointer<Float>, _ b1: UnsafeMutablePointer<Float>, _ b2: UnsafeMutablePointer<Float>,
        k: Int, _ c: UnsafeMutablePointer<Float>, _ cStride: Int, rows: Int, columns: Int, alpha: Float, beta: Float
    ) {
        var s00 = Vector(), s01 = Vector(), s02 = Vector()
        var s10 = Vector(), s11 = Vector(), s12 = Vector()
        var s20 = Vector(), s21 = Vector(), s22 = Vector()
        var s30 = Vector(), s31 = Vector(), s32 = Vector()
        @inline(__always) func accumulate(_ load: (UnsafeMutablePointer<Float>) -> Vector, at p: Int) {
            let x0 = load(b0 + p), x1 = load(b1 + p), x2 = load(b2 + p)
            var y = load(a0 + p)
            s00.addProduct(y, x0); s01.addProduct(y, x1); s02.addProduct(y, x2)
            y = load(a1 + p)
            s10.addProduct(y, x0); s11.addProduct(y, x1); s12.addProduct(y, x2)
            y = load(a2 + p)
            s20.addProduct(y, x0); s21.addProduct(y, x1); s22.addProduct(y, x2)
            y = load(a3 + p)
            s30.addProduct(y, x0); s31.addProduct(y, x1); s32.addProduct(y, x2)
        }
        var p = 0
        while p + 8 <= k {
            accumulate(SmallProducts.load, at: p)
            p += 8
        }
        if p < k {
            let width = k - p
            accumulate({ Kernels.load8($0, count: width) }, at: p)
        }
        finishDots(c, s00, s01, s02, columns: columns, alpha: alpha, beta: beta)
        if rows > 1 { finishDots(c + cStride, s10, s11, s12, columns: columns, alpha: alpha, beta: beta) }
        if rows > 2 { finishDots(c + 2 * cStride, s20, s21, s22, columns: columns, alpha: alpha, beta: beta) }
        if rows > 3 { finishDots(c + 3 * cStride, s30, s31, s32, columns: columns, alpha: alpha, beta: beta) }
    }

    // MARK: Loads and stores (Kernels' eight-lane ones)

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> Vector { Kernels.load8(p) }

    @inline(__always)
    static func store(_ p: UnsafeMutablePointer<Float>, _ v: Vector) { Kernels.store8(v, p) }

    /// `c = alpha · sum + beta · c` for 24 Floats; beta 0 never reads c, as BLAS.
    @inline(__always)
    static func finish(_ c: UnsafeMutablePointer<Float>, _ s0: Vector, _ s1: Vector, _ s2: Vector,
                       alpha: Float, beta: Float) {
        if beta == 0 {
            store(c, alpha * s0); store(c + 8, alpha * s1); store(c + 16, alpha * s2)
        } else {
            store(c, alpha * s0 + beta * load(c))
            store(c + 8, alpha * s1 + beta * load(c + 8))
            store(c + 16, alpha * s2 + beta * load(c + 16))
        }
    }

    /// `c[i] = alpha · s[i] + beta · c[i]` for lanes `from..<to`.
    @inline(__always)
    static func finishLanes(_ c: UnsafeMutablePointer<Float>, _ s: Vector, from: Int, to: Int, alpha: Float, beta: Float) {
        if from == 0 && to == 8 {
            store(c, beta == 0 ? alpha * s : alpha * s + beta * load(c))
        } else {
            for i in from..<to { c[i] = beta == 0 ? alpha * s[i] : alpha * s[i] + beta * c[i] }
        }
    }

    @inline(__always)
    static func finishDots(_ c: UnsafeMutablePointer<Float>, _ s0: Vector, _ s1: Vector, _ s2: Vector,
                           columns: Int, alpha: Float, beta: Float) {
        c[0] = beta == 0 ? alpha * s0.sum() : alpha * s0.sum() + beta * c[0]
        if columns > 1 { c[1] = beta == 0 ? alpha * s1.sum() : alpha * s1.sum() + beta * c[1] }
        if columns > 2 { c[2] = beta == 0 ? alpha * s2.sum() : alpha * s2.sum() + beta * c[2] }
    }
}
