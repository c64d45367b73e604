/// A 3 × 3 convolution with stride 1 and padding 1 over NHWC batches by
/// Winograd's minimal filtering F(2 × 2, 3 × 3) (Lavin & Gray 2016): each
/// 2 × 2 block of output pixels (a *tile*) comes from a 4 × 4 block of input
/// pixels with 16 products per channel pair instead of 36, so the products
/// shrink 2.25×. The products become 16 matrix products per group of images,
/// one per position of the 4 × 4 transformed tile:
///
///     V[p] = (Bᵀ d B)[p]    tiles × C   (the input, transformed)
///     U[p] = (G g Gᵀ)[p]    C × K       (the weights, transformed)
///     M[p] = V[p] · U[p]    tiles × K,  y = Aᵀ M A per tile
///
/// The backward pass is the adjoint of each linear map: the output gradient
/// transformed, E = A dY Aᵀ, gives dU[p] += V[p]ᵀ · E[p] (weights: dW = Gᵀ dU G)
/// and dV[p] = E[p] · U[p]ᵀ (input: dx = B dV Bᵀ, added onto the overlapping
/// 4 × 4 blocks). Channels are the innermost dimension, so every transform is
/// a loop over 8-channel vectors; it needs both channel counts to be
/// multiples of 8 (`Conv2D` uses im2col otherwise). Results equal im2col's
/// up to rounding (the transforms' coefficients are 0, ±1 and ±½).
public struct WinogradConvolution {
    public let input: ImageShape
    public let outputChannels: Int
    /// Tiles down and across one image: ⌈height / 2⌉ × ⌈width / 2⌉.
    public let tileRows: Int
    public let tileColumns: Int
    /// Images whose tiles go into one group of 16 products.
    public let imagesPerProduct: Int

    /// Tiles a group aims at: tall products, transformed blocks that stay in
    /// cache (measured with `koine bench conv`).
    public static let defaultTilesPerProduct = 512

    /// Whether this algorithm computes a convolution of these dimensions.
    public static func applies(input: ImageShape, outputChannels: Int, kernel: Int, stride: Int, padding: Int) -> Bool {
        kernel == 3 && stride == 1 && padding == 1 && input.channels % 8 == 0 && outputChannels % 8 == 0
    }

    public init(input: ImageShape, outputChannels: Int, tilesPerProduct: Int = WinogradConvolution.defaultTilesPerProduct) {
        precondition(input.channels % 8 == 0 && outputChannels % 8 == 0, "winograd: channels \(input.channels) → \(outputChannels), need multiples of 8")
        self.input = input
        self.outputChannels = outputChannels
        tileRows = (input.height + 1) / 2
        tileColumns = (input.width + 1) / 2
        imagesPerProduct = max(1, tilesPerProduct / (tileRows * tileColumns))
        let c = input.channels, k = outputChannels, t = imagesPerProduct * tileRows * tileColumns
        let sizes = [16 * c * k, 16 * c * k, 16 * t * c, 16 * t * c, 16 * t * k, max(c, k), max(c, k)]
        scratchOffsets = sizes.reduce(into: [0]) { $0.append($0.last! + $1) }
    }

    var channels: Int { input.channels }
    var tilesPerImage: Int { tileRows * tileColumns }
    var groupTiles: Int { imagesPerProduct * tilesPerImage }

    /// Floats of scratch: U and dU (16·C·K each), V and dV (16·tiles·C each),
    /// M or E (16·tiles·K), a zero vector read in place of the padding and a
    /// sink written in place of it.
    public var scratchCount: Int { scratchOffsets[7] }

    /// Where each block of `Scratch` starts, in its order, then where the
    /// scratch ends; set once, so a pass reads them without allocating.
    let scratchOffsets: [Int]

    /// Where each scratch block starts.
    struct Scratch {
        let weights: UnsafeMutablePointer<Float>         // U: 16 × C × K
        let weightGradients: UnsafeMutablePointer<Float> // dU: 16 × C × K
        let inputs: UnsafeMutablePointer<Float>          // V: 16 × tiles × C
        let inputGradients: UnsafeMutablePointer<Float>  // dV: 16 × tiles × C
        let outputs: UnsafeMutablePointer<Float>         // M, or E backward: 16 × tiles × K
        let zeros: UnsafeMutablePointer<Float>
        let sink: UnsafeMutablePointer<Float>
    }

    func regions(of base: UnsafeMutablePointer<Float>) -> Scratch {
        let at = scratchOffsets
        (base + at[5]).update(repeating: 0, count: max(channels, outputChannels))
        return Scratch(weights: base + at[0], weightGradients: base + at[1], inputs: base + at[2], inputGradients: base + at[3],
                       outputs: base + at[4], zeros: base + at[5], sink: base + at[6])
    }

    /// `y = conv(x) + bias`; `weight` is `(3·3·C) × K` in (ky, kx, c) row order.
    public func forward(_ x: Matrix, weight: Matrix, bias: UnsafePointer<Float>?, into y: Matrix, scratch: UnsafeMutablePointer<Float>) {
        let s = regions(of: scratch)
        transformWeights(weight, into: s.weights)
        let c = channels, k = outputChannels
        var first = 0
        while first < x.rows {
            let images = first..<min(first + imagesPerProduct, x.rows)
            let tiles = images.count * tilesPerImage
            transformInputs(x, images: images, zeros: s.zeros, into: s.inputs, stride: tiles * c)
            for p in 0..<16 {
                BLAS.gemm(Matrix(s.inputs + p * tiles * c, rows: tiles, columns: c),
                          Matrix(s.weights + p * c * k, rows: c, columns: k),
                          into: Matrix(s.outputs + p * tiles * k, rows: tiles, columns: k))
            }
            transformOutputs(s.outputs, stride: tiles * k, images: images, bias: bias, into: y)
            first = images.upperBound
        }
    }

    /// Accumulates `dW += ∂L/∂W` from `dy` and writes `dx` when given.
    public func backward(_ x: Matrix, weight: Matrix, weightGradient: Matrix, outputGradient dy: Matrix,
                         inputGradient dx: Matrix?, scratch: UnsafeMutablePointer<Float>) {
        let s = regions(of: scratch)
        let c = channels, k = outputChannels
        if dx != nil { transformWeights(weight, into: s.weights) }
        s.weightGradients.update(repeating: 0, count: 16 * c * k)
        var first = 0
        while first < x.rows {
            let images = first..<min(first + imagesPerProduct, x.rows)
            let tiles = images.count * tilesPerImage
            transformInputs(x, images: images, zeros: s.zeros, into: s.inputs, stride: tiles * c)
            transformOutputGradients(dy, images: images, zeros: s.zeros, into: s.outputs, stride: tiles * k)
            for p in 0..<16 {
                let v = Matrix(s.inputs + p * tiles * c, rows: tiles, columns: c)
                let e = Matrix(s.outputs + p * tiles * k, rows: tiles, columns: k)
                BLAS.gemm(v, transposeA: true, e, into: Matrix(s.weightGradients + p * c * k, rows: c, columns: k), beta: 1)
                if dx != nil {
                    BLAS.gemm(e, Matrix(s.weights + p * c * k, rows: c, columns: k), transposeB: true,
                              into: Matrix(s.inputGradients + p * tiles * c, rows: tiles, columns: c))
                }
            }
            if let dx { transformInputGradients(s.inputGradients, stride: tiles * c, images: images, sink: s.sink, into: dx) }
            first = images.upperBound
        }
        accumulateWeightGradients(s.weightGradients, into: weightGradient)
    }

    // MARK: transforms

    /// U = G g Gᵀ for every (c, k): `(3·3·C) × K` into 16 blocks of `C × K`.
    /// G's rows are (1, 0, 0), (½, ½, ½), (½, −½, ½), (0, 0, 1).
    func transformWeights(_ weight: Matrix, into u: UnsafeMutablePointer<Float>) {
        let c = channels, k = outputChannels, block = c * k
        for channel in 0..<c {
            let g = { (ky: Int, kx: Int) -> UnsafeMutablePointer<Float> in weight.row((ky * 3 + kx) * c + channel) }
            let target = u + channel * k
            for o in 0..<k {
                // Rows first: r[a][kx] = Σ_ky G[a][ky] g[ky][kx].
                var r = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
                for kx in 0..<3 {
                    let g0 = g(0, kx)[o], g1 = g(1, kx)[o], g2 = g(2, kx)[o]
                    let column = SIMD4<Float>(g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
                    if kx == 0 { r.0 = column } else if kx == 1 { r.1 = column } else { r.2 = column }
                }
                // Then columns: U[a][b] = Σ_kx r[a][kx] G[b][kx].
                let b0 = r.0, b1 = 0.5 * (r.0 + r.1 + r.2), b2 = 0.5 * (r.0 - r.1 + r.2), b3 = r.2
                for a in 0..<4 {
                    target[(a * 4 + 0) * block + o] = b0[a]
                    target[(a * 4 + 1) * block + o] = b1[a]
                    target[(a * 4 + 2) * block + o] = b2[a]
                    target[(a * 4 + 3) * block + o] = b3[a]
                }
            }
        }
    }

    /// dW += Gᵀ dU G for every (c, k).
    func accumulateWeightGradients(_ du: UnsafeMutablePointer<Float>, into gradient: Matrix) {
        let c = channels, k = outputChannels, block = c * k
        for channel in 0..<c {
            for o in 0..<k {
                let d = { (a: Int, b: Int) -> Float in du[(a * 4 + b) * block + channel * k + o] }
                // Columns first: r[a][kx] = Σ_b dU[a][b] G[b][kx], one SIMD4 over a per kx.
                var r0 = SIMD4<Float>(), r1 = SIMD4<Float>(), r2 = SIMD4<Float>()
                for a in 0..<4 {
                    let d0 = d(a, 0), d1 = d(a, 1), d2 = d(a, 2), d3 = d(a, 3)
                    r0[a] = d0 + 0.5 * (d1 + d2)
                    r1[a] = 0.5 * (d1 - d2)
                    r2[a] = 0.5 * (d1 + d2) + d3
                }
                // Then rows: dW[ky][kx] += Σ_a G[a][ky] r[a][kx].
                for kx in 0..<3 {
                    let column = kx == 0 ? r0 : kx == 1 ? r1 : r2
                    gradient.row((0 * 3 + kx) * c + channel)[o] += column[0] + 0.5 * (column[1] + column[2])
                    gradient.row((1 * 3 + kx) * c + channel)[o] += 0.5 * (column[1] - column[2])
                    gradient.row((2 * 3 + kx) * c + channel)[o] += 0.5 * (column[1] + column[2]) + column[3]
                }
            }
        }
    }

    /// The pixel a tile's (i, j) input comes from, nil in the padding.
    func pixel(tileRow: Int, tileColumn: Int, _ i: Int, _ j: Int) -> Int? {
        let row = 2 * tileRow - 1 + i, column = 2 * tileColumn - 1 + j
        guard row >= 0 && row < input.height && column >= 0 && column < input.width else { return nil }
        return row * input.width + column
    }

    /// V = Bᵀ d B over every tile of `images`; Bᵀ's rows are (1, 0, −1, 0),
    /// (0, 1, 1, 0), (0, −1, 1, 0), (0, 1, 0, −1). Block p of V starts at
    /// `v + p·stride`, one row of C per tile.
    func transformInputs(_ x: Matrix, images: Range<Int>, zeros: UnsafeMutablePointer<Float>,
                         into v: UnsafeMutablePointer<Float>, stride: Int) {
        let c = channels
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 16) { sources in
            forEachTile(of: images, in: x) { base, tile, tileRow, tileColumn in
                for i in 0..<4 {
                    for j in 0..<4 {
                        let p = pixel(tileRow: tileRow, tileColumn: tileColumn, i, j)
                        sources[i * 4 + j] = p.map { UnsafePointer(base + $0 * c) } ?? UnsafePointer(zeros)
                    }
                }
                let target = v + tile * c
                var offset = 0
                while offset < c {
                    let load = { (i: Int, j: Int) -> SIMD8<Float> in
                        UnsafeRawPointer(sources[i * 4 + j] + offset).loadUnaligned(as: SIMD8<Float>.self)
                    }
                    // Rows: r[a][j] = Σ_i Bᵀ[a][i] d[i][j], kept as four columns j.
                    for a in 0..<4 {
                        let row: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
                        switch a {
                        case 0: row = (load(0, 0) - load(2, 0), load(0, 1) - load(2, 1), load(0, 2) - load(2, 2), load(0, 3) - load(2, 3))
                        case 1: row = (load(1, 0) + load(2, 0), load(1, 1) + load(2, 1), load(1, 2) + load(2, 2), load(1, 3) + load(2, 3))
                        case 2: row = (load(2, 0) - load(1, 0), load(2, 1) - load(1, 1), load(2, 2) - load(1, 2), load(2, 3) - load(1, 3))
                        default: row = (load(1, 0) - load(3, 0), load(1, 1) - load(3, 1), load(1, 2) - load(3, 2), load(1, 3) - load(3, 3))
                        }
                        // Columns: V[a][b] = Σ_j r[a][j] Bᵀ[b][j].
                        store(row.0 - row.2, at: target + (a * 4 + 0) * stride + offset)
                        store(row.1 + row.2, at: target + (a * 4 + 1) * stride + offset)
                        store(row.2 - row.1, at: target + (a * 4 + 2) * stride + offset)
                        store(row.1 - row.3, at: target + (a * 4 + 3) * stride + offset)
                    }
                    offset += 8
                }
            }
        }
    }

    /// y = Aᵀ M A (+ bias) for every tile of `images`; Aᵀ's rows are
    /// (1, 1, 1, 0) and (0, 1, −1, −1). Pixels past an odd edge are dropped.
    func transformOutputs(_ m: UnsafeMutablePointer<Float>, stride: Int, images: Range<Int>, bias: UnsafePointer<Float>?, into y: Matrix) {
        let k = outputChannels, width = input.width, height = input.height
        forEachTile(of: images, in: y) { base, tile, tileRow, tileColumn in
            let source = m + tile * k
            var offset = 0
            while offset < k {
                let load = { (a: Int, b: Int) -> SIMD8<Float> in
                    UnsafeRawPointer(source + (a * 4 + b) * stride + offset).loadUnaligned(as: SIMD8<Float>.self)
                }
                // Rows: s[r][b] = Σ_a Aᵀ[r][a] M[a][b].
                var s0 = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                var s1 = s0
                for b in 0..<4 {
                    let m0 = load(0, b), m1 = load(1, b), m2 = load(2, b), m3 = load(3, b)
                    let top = m0 + m1 + m2, bottom = m1 - m2 - m3
                    switch b {
                    case 0: s0.0 = top; s1.0 = bottom
                    case 1: s0.1 = top; s1.1 = bottom
                    case 2: s0.2 = top; s1.2 = bottom
                    default: s0.3 = top; s1.3 = bottom
                    }
                }
                let shift = bias.map { UnsafeRawPointer($0 + offset).loadUnaligned(as: SIMD8<Float>.self) } ?? SIMD8<Float>()
                for r in 0..<2 {
                    let row = 2 * tileRow + r
                    guard row < height else { continue }
                    let s = r == 0 ? s0 : s1
                    // Columns: y[r][c] = Σ_b s[r][b] A[b][c].
                    let left = s.0 + s.1 + s.2 + shift, right = s.1 - s.2 - s.3 + shift
                    store(left, at: base + (row * width + 2 * tileColumn) * k + offset)
                    if 2 * tileColumn + 1 < width { store(right, at: base + (row * width + 2 * tileColumn + 1) * k + offset) }
                }
                offset += 8
            }
        }
    }

    /// E = A dY Aᵀ for every tile of `images` (the adjoint of the output
    /// transform); pixels past an odd edge count as zero.
    func transformOutputGradients(_ dy: Matrix, images: Range<Int>, zeros: UnsafeMutablePointer<Float>,
                                  into e: UnsafeMutablePointer<Float>, stride: Int) {
        let k = outputChannels, width = input.width, height = input.height
        forEachTile(of: images, in: dy) { base, tile, tileRow, tileColumn in
            let target = e + tile * k
            var sources = (UnsafePointer(zeros), UnsafePointer(zeros), UnsafePointer(zeros), UnsafePointer(zeros))
            let row = 2 * tileRow, column = 2 * tileColumn
            sources.0 = UnsafePointer(base + (row * width + column) * k)
            if column + 1 < width { sources.1 = UnsafePointer(base + (row * width + column + 1) * k) }
            if row + 1 < height {
                sources.2 = UnsafePointer(base + ((row + 1) * width + column) * k)
                if column + 1 < width { sources.3 = UnsafePointer(base + ((row + 1) * width + column + 1) * k) }
            }
            var offset = 0
            while offset < k {
                let g00 = UnsafeRawPointer(sources.0 + offset).loadUnaligned(as: SIMD8<Float>.self)
                let g01 = UnsafeRawPointer(sources.1 + offset).loadUnaligned(as: SIMD8<Float>.self)
                let g10 = UnsafeRawPointer(sources.2 + offset).loadUnaligned(as: SIMD8<Float>.self)
                let g11 = UnsafeRawPointer(sources.3 + offset).loadUnaligned(as: SIMD8<Float>.self)
                // A's rows are (1, 0), (1, 1), (1, −1), (0, −1): rows of the 2 × 2 block first.
                for a in 0..<4 {
                    let left = a == 0 ? g00 : a == 1 ? g00 + g10 : a == 2 ? g00 - g10 : -g10
                    let right = a == 0 ? g01 : a == 1 ? g01 + g11 : a == 2 ? g01 - g11 : -g11
                    store(left, at: target + (a * 4 + 0) * stride + offset)
                    store(left + right, at: target + (a * 4 + 1) * stride + offset)
                    store(left - right, at: target + (a * 4 + 2) * stride + offset)
                    store(-right, at: target + (a * 4 + 3) * stride + offset)
                }
                offset += 8
            }
        }
    }

    /// dx = B dV Bᵀ for every tile of `images` (the adjoint of the input
    /// transform), added onto the 4 × 4 blocks, which overlap; `images`' rows
    /// of dx are overwritten. B's columns are those of the input transform:
    /// dd[i] = Σ_a Bᵀ[a][i] v[a] is (v0, v1 − v2 + v3, v1 + v2 − v0, −v3).
    /// Values for the padding go to `sink` (C Floats), so the loop adding
    /// them has no branch.
    func transformInputGradients(_ dv: UnsafeMutablePointer<Float>, stride: Int, images: Range<Int>,
                                 sink: UnsafeMutablePointer<Float>, into dx: Matrix) {
        let c = channels
        for image in images { dx.row(image).update(repeating: 0, count: input.count) }
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 16) { rows in
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>.self, capacity: 16) { targets in
                forEachTile(of: images, in: dx) { base, tile, tileRow, tileColumn in
                    for i in 0..<4 {
                        for j in 0..<4 {
                            targets[i * 4 + j] = pixel(tileRow: tileRow, tileColumn: tileColumn, i, j).map { base + $0 * c } ?? sink
                        }
                    }
                    let source = dv + tile * c
                    var offset = 0
                    while offset < c {
                        // Down the rows: rows[i·4 + b] = Σ_a Bᵀ[a][i] dV[a][b].
                        for b in 0..<4 {
                            let load = { (a: Int) -> SIMD8<Float> in
                                UnsafeRawPointer(source + (a * 4 + b) * stride + offset).loadUnaligned(as: SIMD8<Float>.self)
                            }
                            let v0 = load(0), v1 = load(1), v2 = load(2), v3 = load(3)
                            rows[b] = v0
                            rows[4 + b] = v1 - v2 + v3
                            rows[8 + b] = v1 + v2 - v0
                            rows[12 + b] = -v3
                        }
                        // Then across, added onto the pixels inside the image.
                        for i in 0..<4 {
                            let r0 = rows[4 * i], r1 = rows[4 * i + 1], r2 = rows[4 * i + 2], r3 = rows[4 * i + 3]
                            for j in 0..<4 {
                                let value = j == 0 ? r0 : j == 1 ? r1 - r2 + r3 : j == 2 ? r1 + r2 - r0 : -r3
                                let target = targets[i * 4 + j] + offset
                                store(UnsafeRawPointer(target).loadUnaligned(as: SIMD8<Float>.self) + value, at: target)
                            }
                        }
                        offset += 8
                    }
                }
            }
        }
    }

    /// Calls `visit(image's row in matrix, tile, tile row, tile column)` for
    /// every tile of `images` in order, counting tiles from 0 across the group.
    @inline(__always)
    func forEachTile(of images: Range<Int>, in matrix: Matrix,
                     _ visit: (_ base: UnsafeMutablePointer<Float>, _ tile: Int, _ tileRow: Int, _ tileColumn: Int) -> Void) {
        var tile = 0
        for image in images {
            let base = matrix.row(image)
            for tileRow in 0..<tileRows {
                for tileColumn in 0..<tileColumns {
                    visit(base, tile, tileRow, tileColumn)
                    tile += 1
                }
            }
        }
    }

    @inline(__always)
    func store(_ value: SIMD8<Float>, at pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}
