#if arch(x86_64)
/// `C = alpha · A · Bᵀ + beta · C`, each element a dot product of a row of A
/// and a row of B, with the eight-lane kernel's arithmetic in sixteen lanes:
/// each 512-bit register holds the eight partial sums of two dot products
/// side by side (one row of A against two rows of B), each lane the same
/// chain of fused multiply-adds as in `SmallProducts.multiplyDots`, and the
/// eight partial sums of a product are added in `SIMD8.sum()`'s order (from
/// −0, lane 0 first). So the two kernels agree bit for bit, and each
/// instruction does two products' work. Tiles of 4 rows of A × 6 rows of B.
public enum DotProducts {
    typealias Vector = SIMD16<Float>
    typealias Half = SIMD8<Float>

    public static func multiply(
        _ a: UnsafeMutablePointer<Float>, aStride: Int, _ b: UnsafeMutablePointer<Float>, bStride: Int,
        into c: UnsafeMutablePointer<Float>, cStride: Int, rows m: Int, columns n: Int, inner k: Int,
        alpha: Float, beta: Float
    ) {
        var row = 0
        while row < m {
            let rows = min(4, m - row)
            // Rows past the end repeat the last real one; their sums are not stored.
            @inline(__always) func aRow(_ r: Int) -> UnsafeMutablePointer<Float> { a + (row + min(r, rows - 1)) * aStride }
            let a0 = aRow(0), a1 = aRow(1), a2 = aRow(2), a3 = aRow(3)
            var column = 0
            while column < n {
                let columns = min(6, n - column)
                @inline(__always) func bRow(_ j: Int) -> UnsafeMutablePointer<Float> { b + (column + min(j, columns - 1)) * bStride }
                tile(a0, a1, a2, a3, bRow(0), bRow(1), bRow(2), bRow(3), bRow(4), bRow(5), k: k,
                     c + row * cStride + column, cStride, rows: rows, columns: columns, alpha: alpha, beta: beta)
                column += columns
            }
            row += rows
        }
    }

    @inline(__always)
    static func tile(
        _ a0: UnsafeMutablePointer<Float>, _ a1: UnsafeMutablePointer<Float>,
        _ a2: UnsafeMutablePointer<Float>, _ a3: UnsafeMutablePointer<Float>,
        _ b0: UnsafeMutablePointer<Float>, _ b1: UnsafeMutablePointer<Float>, _ b2: UnsafeMutablePointer<Float>,
        _ b3: UnsafeMutablePointer<Float>, _ b4: UnsafeMutablePointer<Float>, _ b5: UnsafeMutablePointer<Float>,
        k: Int, _ c: UnsafeMutablePointer<Float>, _ cStride: Int, rows: Int, columns: Int, alpha: Float, beta: Float
    ) {
        var s00 = Vector(), s01 = Vector(), s02 = Vector()
        var s10 = Vector(), s11 = Vector(), s12 = Vector()
        var s20 = Vector(), s21 = Vector(), s22 = Vector()
        var s30 = Vector(), s31 = Vector(), s32 = Vector()
        @inline(__always) func accumulate(_ load: (UnsafeMutablePointer<Float>) -> Half, at p: Int) {
            let x0 = Vector(lowHalf: load(b0 + p), highHalf: load(b1 + p))
            let x1 = Vector(lowHalf: load(b2 + p), highHalf: load(b3 + p))
            let x2 = Vector(lowHalf: load(b4 + p), highHalf: load(b5 + p))
            var y = load(a0 + p), both = Vector(lowHalf: y, highHalf: y)
            s00.addProduct(both, x0); s01.addProduct(both, x1); s02.addProduct(both, x2)
            y = load(a1 + p); both = Vector(lowHalf: y, highHalf: y)
            s10.addProduct(both, x0); s11.addProduct(both, x1); s12.addProduct(both, x2)
            y = load(a2 + p); both = Vector(lowHalf: y, highHalf: y)
            s20.addProduct(both, x0); s21.addProduct(both, x1); s22.addProduct(both, x2)
            y = load(a3 + p); both = Vector(lowHalf: y, highHalf: y)
            s30.addProduct(both, x0); s31.addProduct(both, x1); s32.addProduct(both, x2)
        }
        var p = 0
        while p + 8 <= k {
            accumulate({ UnsafeRawPointer($0).loadUnaligned(as: Half.self) }, at: p)
            p += 8
        }
        if p < k {
            let width = k - p
            // Zeros past the end, as the eight-lane kernel pads: the same sums lane by lane.
            accumulate({ pointer in
                var lanes = Half()
                for lane in 0..<width { lanes[lane] = pointer[lane] }
                return lanes
            }, at: p)
        }
        finish(c, s00, s01, s02, columns: columns, alpha: alpha, beta: beta)
        if rows > 1 { finish(c + cStride, s10, s11, s12, columns: columns, alpha: alpha, beta: beta) }
        if rows > 2 { finish(c + 2 * cStride, s20, s21, s22, columns: columns, alpha: alpha, beta: beta) }
        if rows > 3 { finish(c + 3 * cStride, s30, s31, s32, columns: columns, alpha: alpha, beta: beta) }
    }

    /// Six elements of a row of C from three registers of paired sums.
    @inline(__always)
    static func finish(_ c: UnsafeMutablePointer<Float>, _ s0: Vector, _ s1: Vector, _ s2: Vector,
                       columns: Int, alpha: Float, beta: Float) {
        @inline(__always) func store(_ j: Int, _ lanes: Half) {
            guard j < columns else { return }
            let sum = lanes.sum()
            c[j] = beta == 0 ? alpha * sum : alpha * sum + beta * c[j]
        }
        store(0, s0.lowHalf); store(1, s0.highHalf)
        store(2, s1.lowHalf); store(3, s1.highHalf)
        store(4, s2.lowHalf); store(5, s2.highHalf)
    }
}
#endif
