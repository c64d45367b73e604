#if arch(x86_64)
/// `C = alpha · op(A) · B + beta · C` with each row of C a sum of rows of B,
/// sixteen lanes wide: tiles of 8 rows × 32 columns (16 accumulators of the
/// 32 registers AVX-512 has). Every element of C is the same chain of fused
/// multiply-adds over the inner dimension, from zero, in order, as in
/// `SmallProducts.multiplyRows`, so the two agree bit for bit; only the
/// tiling differs. Columns past the last whole tile are covered by a tile
/// (or a 16-wide strip) ending at the last column, which stores only its own
/// lanes. Needs at least 16 columns; the caller keeps narrower products.
public enum RowProducts {
    public typealias Vector = SIMD16<Float>

    /// A's row i starts at `a + i · rowStep`, and its element p is `innerStep` further on per p.
    public static func multiply(
        _ a: UnsafeMutablePointer<Float>, rowStep: Int, innerStep: Int,
        _ b: UnsafeMutablePointer<Float>, bStride: Int, into c: UnsafeMutablePointer<Float>, cStride: Int,
        rows m: Int, columns n: Int, inner k: Int, alpha: Float, beta: Float
    ) {
        precondition(n >= 16)
        var row = 0
        while row < m {
            let rows = min(8, m - row)
            let block = Rows(a + row * rowStep, rowStep: rowStep, count: rows)
            let cRow = c + row * cStride
            var column = 0
            while column + 32 <= n {
                tile(block, innerStep: innerStep, b + column, bStride, k: k, cRow + column, cStride,
                     skip: 0, alpha: alpha, beta: beta)
                column += 32
            }
            let left = n - column
            if left > 16 {
                // n ≥ 32 here: the tile ending at column n.
                tile(block, innerStep: innerStep, b + (n - 32), bStride, k: k, cRow + (n - 32), cStride,
                     skip: 32 - left, alpha: alpha, beta: beta)
            } else if left > 0 {
                strip(block, innerStep: innerStep, b + (n - 16), bStride, k: k, cRow + (n - 16), cStride,
                      skip: 16 - left, alpha: alpha, beta: beta)
            }
            row += rows
        }
    }

    /// Up to eight rows of A; rows past `count` repeat the last (their sums are not stored).
    struct Rows {
        let r0, r1, r2, r3, r4, r5, r6, r7: UnsafeMutablePointer<Float>
        let count: Int

        @inline(__always)
        init(_ a: UnsafeMutablePointer<Float>, rowStep: Int, count: Int) {
            @inline(__always) func row(_ r: Int) -> UnsafeMutablePointer<Float> { a + min(r, count - 1) * rowStep }
            r0 = row(0); r1 = row(1); r2 = row(2); r3 = row(3)
            r4 = row(4); r5 = row(5); r6 = row(6); r7 = row(7)
            self.count = count
        }
    }

    @inline(__always)
    static func tile(
        _ a: Rows, innerStep: Int, _ b: UnsafeMutablePointer<Float>, _ bStride: Int, k: Int,
        _ c: UnsafeMutablePointer<Float>, _ cStride: Int, skip: Int, alpha: Float, beta: Float
    ) {
        var s00 = Vector(), s01 = Vector(), s10 = Vector(), s11 = Vector()
        var s20 = Vector(), s21 = Vector(), s30 = Vector(), s31 = Vector()
        var s40 = Vector(), s41 = Vector(), s50 = Vector(), s51 = Vector()
        var s60 = Vector(), s61 = Vector(), s70 = Vector(), s71 = Vector()
        var bp = b, offset = 0
        for _ in 0..<k {
            let b0 = Lanes.load(bp), b1 = Lanes.load(bp + 16)
            var x = Vector(repeating: a.r0[offset]); s00.addProduct(x, b0); s01.addProduct(x, b1)
            x = Vector(repeating: a.r1[offset]); s10.addProduct(x, b0); s11.addProduct(x, b1)
            x = Vector(repeating: a.r2[offset]); s20.addProduct(x, b0); s21.addProduct(x, b1)
            x = Vector(repeating: a.r3[offset]); s30.addProduct(x, b0); s31.addProduct(x, b1)
            x = Vector(repeating: a.r4[offset]); s40.addProduct(x, b0); s41.addProduct(x, b1)
            x = Vector(repeating: a.r5[offset]); s50.addProduct(x, b0); s51.addProduct(x, b1)
            x = Vector(repeating: a.r6[offset]); s60.addProduct(x, b0); s61.addProduct(x, b1)
            x = Vector(repeating: a.r7[offset]); s70.addProduct(x, b0); s71.addProduct(x, b1)
            bp += bStride
            offset += innerStep
        }
        let rows = a.count
        finish(c, s00, s01, skip: skip, alpha: alpha, beta: beta)
        if rows > 1 { finish(c + cStride, s10, s11, skip: skip, alpha: alpha, beta: beta) }
        if rows > 2 { finish(c + 2 * cStride, s20, s21, skip: skip, alpha: alpha, beta: beta) }
        if rows > 3 { finish(c + 3 * cStride, s30, s31, skip: skip, alpha: alpha, beta: beta) }
        if rows > 4 { finish(c + 4 * cStride, s40, s41, skip: skip, alpha: alpha, beta: beta) }
        if rows > 5 { finish(c + 5 * cStride, s50, s51, skip: skip, alpha: alpha, beta: beta) }
        if rows > 6 { finish(c + 6 * cStride, s60, s61, skip: skip, alpha: alpha, beta: beta) }
        if rows > 7 { finish(c + 7 * cStride, s70, s71, skip: skip, alpha: alpha, beta: beta) }
    }

    @inline(__always)
    static func strip(
        _ a: Rows, innerStep: Int, _ b: UnsafeMutablePointer<Float>, _ bStride: Int, k: Int,
        _ c: UnsafeMutablePointer<Float>, _ cStride: Int, skip: Int, alpha: Float, beta: Float
    ) {
        var s0 = Vector(), s1 = Vector(), s2 = Vector(), s3 = Vector()
        var s4 = Vector(), s5 = Vector(), s6 = Vector(), s7 = Vector()
        var bp = b, offset = 0
        for _ in 0..<k {
            let x = Lanes.load(bp)
            s0.addProduct(Vector(repeating: a.r0[offset]), x)
            s1.addProduct(Vector(repeating: a.r1[offset]), x)
            s2.addProduct(Vector(repeating: a.r2[offset]), x)
            s3.addProduct(Vector(repeating: a.r3[offset]), x)
            s4.addProduct(Vector(repeating: a.r4[offset]), x)
            s5.addProduct(Vector(repeating: a.r5[offset]), x)
            s6.addProduct(Vector(repeating: a.r6[offset]), x)
            s7.addProduct(Vector(repeating: a.r7[offset]), x)
            bp += bStride
            offset += innerStep
        }
        let rows = a.count
        finish(c, s0, skip: skip, alpha: alpha, beta: beta)
        if rows > 1 { finish(c + cStride, s1, skip: skip, alpha: alpha, beta: beta) }
        if rows > 2 { finish(c + 2 * cStride, s2, skip: skip, alpha: alpha, beta: beta) }
        if rows > 3 { finish(c + 3 * cStride, s3, skip: skip, alpha: alpha, beta: beta) }
        if rows > 4 { finish(c + 4 * cStride, s4, skip: skip, alpha: alpha, beta: beta) }
        if rows > 5 { finish(c + 5 * cStride, s5, skip: skip, alpha: alpha, beta: beta) }
        if rows > 6 { finish(c + 6 * cStride, s6, skip: skip, alpha: alpha, beta: beta) }
        if rows > 7 { finish(c + 7 * cStride, s7, skip: skip, alpha: alpha, beta: beta) }
    }

    /// 32 Floats of C from two sums; lanes below `skip` belong to the tile before.
    @inline(__always)
    static func finish(_ c: UnsafeMutablePointer<Float>, _ s0: Vector, _ s1: Vector, skip: Int, alpha: Float, beta: Float) {
        if skip < 16 { finish(c, s0, skip: skip, alpha: alpha, beta: beta) }
        finish(c + 16, s1, skip: max(skip - 16, 0), alpha: alpha, beta: beta)
    }

    /// `c = alpha · s + beta · c` for lanes from `skip`; beta 0 never reads c, as BLAS.
    @inline(__always)
    static func finish(_ c: UnsafeMutablePointer<Float>, _ s: Vector, skip: Int, alpha: Float, beta: Float) {
        if skip == 0 {
            Lanes.store(beta == 0 ? alpha * s : alpha * s + beta * Lanes.load(c), c)
        } else {
            for i in skip..<16 { c[i] = beta == 0 ? alpha * s[i] : alpha * s[i] + beta * c[i] }
        }
    }
}
#endif
