import KoineTensor

/// The convolutional part of the visual encoder, VGG-style: per block,
/// `convolutionsPerBlock` × (conv 3 × 3, padding 1 → batch norm → ReLU), then
/// a 2 × 2 max-pool; then global average pooling to one feature vector per
/// image. NHWC batches (one image per row) in buffers allocated for
/// `maxBatch` images; a smaller batch uses their first rows.
final class VisualStack {
    /// One convolution and what follows it up to the ReLU.
    struct Layer {
        let convolution: Conv2D
        let norm: BatchNorm?
        let cache: BatchNorm.Cache?
        /// The convolution's output: batch norm's input, kept for its backward pass.
        let preActivations: Matrix
        /// The output of batch norm and ReLU, in one pass.
        let activations: Matrix
        /// The buffer this layer reads, nil for the images themselves.
        let input: Matrix?
        /// The block whose max-pool follows this layer, when it is a block's last.
        let pool: Int?
        /// Where this layer's convolution and batch norm sit in the parameters.
        let parameters: Range<Int>
    }

    let image: ImageShape
    let layout: VisualStackLayout
    let maxBatch: Int
    let layers: [Layer]
    let pools: [MaxPool2D]
    let pooled: [Matrix]
    let average: GlobalAveragePool
    /// `maxBatch × featureWidth`: the stack's output.
    let features: Matrix
    let scratch: Conv2D.Scratch
    /// Two gradient buffers the backward pass alternates between, each as
    /// large as the largest activation.
    let gradients: (Matrix, Matrix)

    /// Claims the convolutions and batch norms, in order, from `parameters`
    /// and their running statistics from `statistics`.
    init(image: ImageShape, layout: VisualStackLayout, maxBatch: Int, parameters: Parameters, statistics: Parameters, arena: Arena) {
        precondition(image.channels == layout.inputChannels, "visual stack: images of \(image.channels) channels, layout of \(layout.inputChannels)")
        self.image = image
        self.layout = layout
        self.maxBatch = maxBatch
        var layers: [Layer] = [], pools: [MaxPool2D] = [], pooled: [Matrix] = []
        var shape = image
        var input: Matrix? = nil
        var largest = 0
        for (block, width) in layout.widths.enumerated() {
            for index in 0..<layout.convolutionsPerBlock {
                let first = parameters.claimed
                let convolution = Conv2D(input: shape, outputChannels: width, kernel: 3, padding: 1, bias: !layout.batchNorm, parameters: parameters)
                let norm = layout.batchNorm ? BatchNorm(channels: width, parameters: parameters, statistics: statistics) : nil
                let count = convolution.output.count
                let cache = layout.batchNorm ? BatchNorm.Cache(channels: width, arena: arena) : nil
                let layer = Layer(convolution: convolution, norm: norm, cache: cache,
                                  preActivations: arena.matrix(rows: maxBatch, columns: count),
                                  activations: arena.matrix(rows: maxBatch, columns: count),
                                  input: input, pool: index == layout.convolutionsPerBlock - 1 ? block : nil,
                                  parameters: first..<parameters.claimed)
                layers.append(layer)
                largest = max(largest, count)
                shape = convolution.output
                input = layer.activations
            }
            precondition(shape.height >= 2 && shape.width >= 2,
                         "visual stack: \(image) images are too small for \(layout.widths.count) blocks of 2 × 2 max-pooling")
            let pool = MaxPool2D(input: shape)
            pools.append(pool)
            pooled.append(arena.matrix(rows: maxBatch, columns: pool.output.count))
            shape = pool.output
            input = pooled[block]
        }
        self.layers = layers
        self.pools = pools
        self.pooled = pooled
        average = GlobalAveragePool(input: shape)
        features = arena.matrix(rows: maxBatch, columns: layout.featureWidth)
        scratch = Conv2D.Scratch(for: layers.map(\.convolution), arena: arena)
        gradients = (arena.matrix(rows: maxBatch, columns: largest), arena.matrix(rows: maxBatch, columns: largest))
    }

    /// Features of the first `batch` rows of `images` (`batch × image.count`,
    /// NHWC) into `features`' first rows. Training mode normalises by the
    /// batch's statistics (and moves the running ones); evaluation mode by the
    /// running statistics, so an image's features do not depend on its batch.
    func forward(_ images: Matrix, training: Bool) {
        let batch = images.rows
        precondition(batch <= maxBatch && images.columns == image.count, "visual stack: \(batch) images of \(images.columns) Floats")
        for layer in layers {
            let x = layer.input?.rows(0..<batch) ?? images
            let z = layer.preActivations.rows(0..<batch), y = layer.activations.rows(0..<batch)
            layer.convolution.forward(x, into: z, scratch: scratch)
            if let norm = layer.norm, let cache = layer.cache {
                if training {
                    norm.forwardTraining(z, into: y, cache: cache, rectified: true)
                } else {
                    norm.forwardEvaluation(z, into: y, rectified: true, scratch: cache)
                }
            } else {
                ReLU.forward(z, into: y)
            }
            if let block = layer.pool { pools[block].forward(y, into: pooled[block].rows(0..<batch)) }
        }
        average.forward(pooled[pooled.count - 1].rows(0..<batch), into: features.rows(0..<batch))
    }

    /// Accumulates every parameter's gradient from ∂L/∂features (`batch ×
    /// featureWidth`), after a training-mode `forward` of the same `images`.
    /// No gradient goes into the images.
    /// `finished` is told each layer's parameter range once its gradient is final.
    func backward(_ images: Matrix, featureGradient: Matrix, finished: ((Range<Int>) -> Void)? = nil) {
        let batch = images.rows
        precondition(featureGradient.rows == batch && featureGradient.columns == layout.featureWidth, "visual stack: feature gradient shape")
        var useFirst = true
        var dy = alternate(&useFirst, rows: batch, columns: average.input.count)
        average.backward(outputGradient: featureGradient, inputGradient: dy)
        for layer in layers.reversed() {
            let y = layer.activations.rows(0..<batch)
            if let block = layer.pool {
                let dx = alternate(&useFirst, rows: batch, columns: pools[block].input.count)
                pools[block].backward(input: y, output: pooled[block].rows(0..<batch), outputGradient: dy, inputGradient: dx)
                dy = dx
            }
            if let norm = layer.norm, let cache = layer.cache {
                norm.backwardTraining(layer.preActivations.rows(0..<batch), cache: cache, outputGradient: dy, inputGradient: dy, rectified: true)
            } else {
                ReLU.backward(output: y, outputGradient: dy, inputGradient: dy)
            }
            if let input = layer.input {
                let dx = alternate(&useFirst, rows: batch, columns: layer.convolution.input.count)
                layer.convolution.backward(input.rows(0..<batch), outputGradient: dy, inputGradient: dx, scratch: scratch)
                dy = dx
            } else {
                layer.convolution.backward(images, outputGradient: dy, inputGradient: nil, scratch: scratch)
            }
            finished?(layer.parameters)
        }
    }

    /// The gradient buffer not holding the current gradient, as `rows × columns`.
    func alternate(_ useFirst: inout Bool, rows: Int, columns: Int) -> Matrix {
        let buffer = useFirst ? gradients.0 : gradients.1
        useFirst.toggle()
        return Matrix(buffer.base, rows: rows, columns: columns)
    }
}
