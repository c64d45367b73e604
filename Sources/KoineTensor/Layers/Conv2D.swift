/// 2-D convolution over NHWC image batches (see `ImageShape`), by im2col and
/// one `sgemm` per group of images: the patches of `imagesPerProduct` images
/// are gathered into `columns` (one output pixel per row, `kernel·kernel·C`
/// columns in ky, kx, c order), and `y = columns · W + b` is that group's
/// output, already NHWC. Gathering a group rather than the whole batch keeps
/// the scratch small and in cache while the products stay tall (thousands of
/// rows); the backward pass gathers again instead of keeping every patch
/// (hundreds of MB at batch 128). A 1 × 1 kernel with stride 1 and no
/// padding needs no gathering: the input already is its columns.
/// A 3 × 3 kernel with stride 1 and padding 1 (VGG's) and channel counts
/// that are multiples of 8 runs by Winograd's F(2 × 2, 3 × 3) instead
/// (`WinogradConvolution`): 2.25× fewer products.
public struct Conv2D {
    /// How the products are formed.
    public enum Algorithm: String, CaseIterable, Sendable {
        /// Winograd where it applies, im2col elsewhere.
        case automatic
        case im2col
        case winograd
    }

    public let input: ImageShape
    public let output: ImageShape
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter   // (kernel·kernel·input channels) × output channels
    public let bias: Parameter?    // 1 × output channels
    /// Images whose patches go into one product.
    public let imagesPerProduct: Int
    /// Set when this layer runs by Winograd's algorithm.
    public let winograd: WinogradConvolution?

    /// Output rows a product aims at: tall enough for sgemm's best speed,
    /// small enough that the patches of a group stay in cache (measured with
    /// `koine bench conv --rows-per-product`).
    public static let defaultRowsPerProduct = 1024

    public static func parameterCount(inputChannels: Int, outputChannels: Int, kernel: Int, bias: Bool = true) -> Int {
        kernel * kernel * inputChannels * outputChannels + (bias ? outputChannels : 0)
    }

    /// Claims its blocks from `parameters`; initialised as PyTorch's
    /// `nn.Conv2d`: Kaiming-uniform with a = √5 for the weight, which is
    /// uniform in ±1/√fan-in, and the bias uniform in ±1/√fan-in, where
    /// fan-in = kernel·kernel·input channels.
    public init(input: ImageShape, outputChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
                rowsPerProduct: Int = Conv2D.defaultRowsPerProduct, algorithm: Algorithm = .automatic,
                tilesPerProduct: Int = WinogradConvolution.defaultTilesPerProduct, parameters: Parameters) {
        precondition(kernel > 0 && stride > 0 && padding >= 0 && outputChannels > 0, "conv: kernel \(kernel) stride \(stride) padding \(padding)")
        let height = (input.height + 2 * padding - kernel) / stride + 1
        let width = (input.width + 2 * padding - kernel) / stride + 1
        precondition(input.height + 2 * padding >= kernel && input.width + 2 * padding >= kernel,
                     "conv: kernel \(kernel) larger than the padded input \(input)")
        self.input = input
        output = ImageShape(height: height, width: width, channels: outputChannels)
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        imagesPerProduct = max(1, rowsPerProduct / output.positions)
        let applies = WinogradConvolution.applies(input: input, outputChannels: outputChannels, kernel: kernel, stride: stride, padding: padding)
        precondition(algorithm != .winograd || applies, "conv: Winograd needs a 3 × 3 kernel, stride 1, padding 1 and channels in multiples of 8")
        winograd = algorithm != .im2col && applies ? WinogradConvolution(input: input, outputChannels: outputChannels, tilesPerProduct: tilesPerProduct) : nil
        let patch = kernel * kernel * input.channels
        let bound = 1 / Float(patch).squareRoot()
        weight = parameters.claim(rows: patch, columns: outputChannels, initializer: .uniform(bound))
        self.bias = bias ? parameters.claim(rows: 1, columns: outputChannels, initializer: .uniform(bound)) : nil
    }

    /// Floats of one output pixel's patch: kernel·kernel·input channels.
    public var patch: Int { kernel * kernel * input.channels }

    /// The input is its own columns (1 × 1 kernel, stride 1, no padding).
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    /// Floats of scratch a forward or backward pass uses: one group's patches
    /// or transformed tiles.
    public var scratchCount: Int {
        if let winograd { return winograd.scratchCount }
        return isPointwise ? 0 : imagesPerProduct * output.positions * patch
    }

    /// Scratch for the patches of one group of images. Layers that run one
    /// after another share one, sized for the largest.
    public struct Scratch {
        public let base: UnsafeMutablePointer<Float>
        public let count: Int

        public init(for layers: [Conv2D], arena: Arena) {
            count = layers.map(\.scratchCount).max() ?? 0
            base = arena.floats(count)
        }
    }

    /// `y = conv(x) + b`; `x` is `images × input.count`, `y` is `images × output.count`.
    public func forward(_ x: Matrix, into y: Matrix, scratch: Scratch) {
        checkBatch(x, y, scratch)
        if let winograd {
            winograd.forward(x, weight: weight.value, bias: bias.map { UnsafePointer($0.value.base) }, into: y, scratch: scratch.base)
            return
        }
        var first = 0
        while first < x.rows {
            let images = first..<min(first + imagesPerProduct, x.rows)
            let rows = images.count * output.positions
            let outputs = Matrix(y.row(first), rows: rows, columns: output.channels)
            let columns = patches(x, images: images, scratch: scratch)
            if let bias {
                Kernels.broadcastRows(bias.value.base, into: outputs)
                BLAS.gemm(columns, weight.value, into: outputs, beta: 1)
            } else {
                BLAS.gemm(columns, weight.value, into: outputs)
            }
            first = images.upperBound
        }
    }

    /// Accumulates `dW += columnsᵀ · dy` and `db += Σ dy`; writes `dx` when
    /// given (the first layer, over the data, skips it).
    public func backward(_ x: Matrix, outputGradient dy: Matrix, inputGradient dx: Matrix?, scratch: Scratch) {
        checkBatch(x, dy, scratch)
        if let dx { precondition(dx.rows == x.rows && dx.columns == input.count && dx.isContiguous, "conv: dx shape") }
        if let winograd {
            if let bias { Kernels.accumulateColumnSums(output.pixels(dy), into: bias.gradient.base) }
            winograd.backward(x, weight: weight.value, weightGradient: weight.gradient, outputGradient: dy, inputGradient: dx,
                              scratch: scratch.base)
            return
        }
        var first = 0
        while first < x.rows {
            let images = first..<min(first + imagesPerProduct, x.rows)
            let rows = images.count * output.positions
            let gradients = Matrix(dy.row(first), rows: rows, columns: output.channels)
            if let bias { Kernels.accumulateColumnSums(gradients, into: bias.gradient.base) }
            let columns = patches(x, images: images, scratch: scratch)
            BLAS.gemm(columns, transposeA: true, gradients, into: weight.gradient, beta: 1)
            if let dx {
                if isPointwise {
                    BLAS.gemm(gradients, weight.value, transposeB: true, into: Matrix(dx.row(first), rows: rows, columns: patch))
                } else {
                    // The patches are spent: their gradient reuses the scratch.
                    BLAS.gemm(gradients, weight.value, transposeB: true, into: columns)
                    scatter(columns, images: images, into: dx)
                }
            }
            first = images.upperBound
        }
    }

    func checkBatch(_ x: Matrix, _ y: Matrix, _ scratch: Scratch) {
        precondition(x.columns == input.count && x.isContiguous, "conv: input is \(x.rows)×\(x.columns), expected images of \(input)")
        precondition(y.rows == x.rows && y.columns == output.count && y.isContiguous, "conv: output is \(y.rows)×\(y.columns), expected \(x.rows) images of \(output)")
        precondition(scratch.count >= scratchCount, "conv: scratch of \(scratch.count) Floats, needs \(scratchCount)")
    }

    /// The columns of `images`: the input itself for a pointwise kernel,
    /// else their patches gathered into the scratch.
    func patches(_ x: Matrix, images: Range<Int>, scratch: Scratch) -> Matrix {
        let rows = images.count * output.positions
        if isPointwise { return Matrix(x.row(images.lowerBound), rows: rows, columns: patch) }
        let columns = Matrix(scratch.base, rows: rows, columns: patch)
        gather(x, images: images, into: columns)
        return columns
    }

    /// im2col. A kernel row's `kernel·C` Floats are contiguous in an NHWC
    /// image, so each is one copy unless it crosses the padding.
    func gather(_ x: Matrix, images: Range<Int>, into columns: Matrix) {
        forEachRun(of: images) { image, pixel, column, count in
            let target = columns.base + column
            if let pixel { target.update(from: x.row(image) + pixel, count: count) } else { target.update(repeating: 0, count: count) }
        }
    }

    /// col2im: adds each patch's gradient back onto the pixels it was
    /// gathered from (overlapping patches add up), writing `dx` of `images`.
    func scatter(_ columns: Matrix, images: Range<Int>, into dx: Matrix) {
        for image in images { dx.row(image).update(repeating: 0, count: input.count) }
        forEachRun(of: images) { image, pixel, column, count in
            if let pixel { Kernels.axpy(1, columns.base + column, dx.row(image) + pixel, count: count) }
        }
    }

    /// Walks the patches of `images` in column order, one contiguous run at a
    /// time: `visit(image, pixel, column, count)` for `count` Floats at
    /// `column` in the columns, which come from Float `pixel` of the image, or
    /// from the padding when `pixel` is nil.
    func forEachRun(of images: Range<Int>, _ visit: (_ image: Int, _ pixel: Int?, _ column: Int, _ count: Int) -> Void) {
        let channels = input.channels, run = kernel * channels
        var column = 0
        for image in images {
            for outputY in 0..<output.height {
                for outputX in 0..<output.width {
                    let left = outputX * stride - padding
                    for kernelY in 0..<kernel {
                        let inputY = outputY * stride - padding + kernelY
                        if inputY < 0 || inputY >= input.height {
                            visit(image, nil, column, run)
                        } else if left >= 0 && left + kernel <= input.width {
                            visit(image, (inputY * input.width + left) * channels, column, run)
                        } else {
                            for kernelX in 0..<kernel {
                                let inputX = left + kernelX
                                let inside = inputX >= 0 && inputX < input.width
                                visit(image, inside ? (inputY * input.width + inputX) * channels : nil, column + kernelX * channels, channels)
                            }
                        }
                        column += run
                    }
                }
            }
        }
    }
}
