import KoineTensor

/// The image game's object encoder: a VGG-style convolutional stack
/// (`VisualStack`) and a linear map from its pooled features to the agents'
/// hidden size, over the images of one batch at a time. `select(_:)` names the
/// batch's images (indices into the data set); `table` row i is the encoding of
/// the i-th of them.
///
/// `learned`: one `Module` holds every parameter (stack, then linear map) and
/// each step runs the stack forward and backward. `frozenRandom` and
/// `pretrained`: the stack is frozen, its features of every image are computed
/// once at start (evaluation mode, in chunks of `maxBatch`) and cached, so a
/// step is a row lookup and no convolution; the `Module` holds only the final
/// linear map, which still learns (the agents need a trainable map into their
/// hidden space, as the paper's fixed VGG16 had its fully connected layer).
/// The cached features are standardised per channel over the data set (see
/// `standardize`).
///
/// `appendAugmented` adds altered copies of the batch's first images as its
/// last rows (Mihai & Hare's augmented sender view). Learned, they join the
/// stack's batch; frozen, they cannot come from the cache, so the frozen stack
/// encodes them each step in evaluation mode and the cache's standardisation
/// applies to them.
public final class VisualEncoder: ObjectEncoder {
    public let settings: VisualEncoderSettings
    public let images: ImageSet
    public let hidden: Int
    public let maxBatch: Int
    public let module: Module
    /// The stack's parameters: `module.parameters` itself when learned (its
    /// first `layout.parameterCount` values), a frozen block of its own otherwise.
    public let stackParameters: Parameters
    /// The batch norms' running statistics (not trained; averaged over ranks
    /// by the trainer so replicas stay identical).
    public let runningStatistics: Parameters
    /// Training-mode batch norm when true; evaluation mode (running statistics) when false.
    public var training = true
    /// The images whose features set the frozen cache's standardisation (the
    /// training split's, so held-out images do not shape it).
    public let standardizedImages: Int
    /// Frozen modes: each feature channel's mean over the data set and the
    /// inverse of its standard deviation, applied to the cache.
    public private(set) var featureMean: [Float] = []
    public private(set) var featureScale: [Float] = []
    /// Images in the current batch.
    public private(set) var batch = 0
    /// The batch's rows that are augmented copies (empty when none).
    public private(set) var augmentedRows: Range<Int> = 0..<0
    /// Each augmented row's rotation class (quarter turns).
    public var rotations: Indices { rotationBuffer.prefix(augmentedRows.count) }
    /// How speakers' view of the scene is altered; nil when they read it as it is.
    let senderAugmentation: ImageAugmentation?

    let layout: VisualStackLayout
    let stack: VisualStack
    let projection: Linear
    let arena = Arena()
    let selected: Indices
    /// `maxBatch` NHWC images: the learned stack's input.
    let input: Matrix
    /// Frozen modes: `images × featureWidth`, every image's features.
    let featureCache: Matrix?
    /// Frozen modes: the batch's rows of the cache (learned: the stack's own output is used).
    let cachedFeatures: Matrix
    let featureGradient: Matrix
    let tableBuffer: Matrix
    let tableGradientBuffer: Matrix
    let rotationBuffer: Indices
    let imageShape: ImageShape

    /// Builds the encoder; `pretrained` reads `settings.pretrainedPath`, and a
    /// missing, corrupt or mismatched file throws a `VisualEncoderFileError`.
    /// `standardizeOver`: the first that many images set the frozen cache's
    /// standardisation (all of them by default). `augmentedCapacity`: the
    /// most augmented rows a batch may append (they count in `maxBatch`);
    /// `senderView`: the alteration `appendSenderView` applies to that many
    /// of the scene's first rows (nil: speakers read the scene as it is).
    public init(images: ImageSet, settings: VisualEncoderSettings, hidden: Int, maxBatch: Int,
                optimizer: OptimizerSettings, initializer: Random, standardizeOver: Int? = nil, augmentedCapacity: Int = 0,
                senderView: ImageAugmentation? = nil) throws {
        senderAugmentation = senderView
        precondition(maxBatch > 0 && hidden > 0, "visual encoder: batch \(maxBatch), hidden \(hidden)")
        self.images = images
        self.settings = settings
        self.hidden = hidden
        self.maxBatch = maxBatch
        standardizedImages = min(standardizeOver ?? images.count, images.count)
        layout = settings.layout(inputChannels: images.channels)
        let image = ImageShape(height: images.height, width: images.width, channels: images.channels)
        imageShape = image
        let linearCount = Linear.parameterCount(input: layout.featureWidth, output: hidden)
        let frozen = settings.mode != .learned
        let trainable = Parameters(count: linearCount + (frozen ? 0 : layout.parameterCount))
        stackParameters = frozen ? Parameters(count: layout.parameterCount) : trainable
        let statistics = Parameters(count: layout.statisticCount)
        runningStatistics = statistics
        // The stack claims first, so in learned mode it is the module's prefix.
        stack = VisualStack(image: image, layout: layout, maxBatch: maxBatch, parameters: stackParameters, statistics: statistics, arena: arena)
        projection = Linear(input: layout.featureWidth, output: hidden, parameters: trainable)
        module = Module(parameters: trainable, settings: optimizer, initializer: initializer)
        var unused = initializer
        statistics.initialize(using: &unused)   // constants: 0 means, 1 variances
        selected = arena.indices(maxBatch)
        input = arena.matrix(rows: maxBatch, columns: image.count)
        cachedFeatures = arena.matrix(rows: maxBatch, columns: layout.featureWidth)
        featureGradient = arena.matrix(rows: maxBatch, columns: layout.featureWidth)
        tableBuffer = arena.matrix(rows: maxBatch, columns: hidden)
        tableGradientBuffer = arena.matrix(rows: maxBatch, columns: hidden)
        rotationBuffer = arena.indices(min(augmentedCapacity, maxBatch))
        switch settings.mode {
        case .learned:
            featureCache = nil
        case .frozenRandom:
            // A stream of its own, apart from the module's generations.
            var random = initializer.split(0x5354_4143_4B00)   // "STACK"
            stackParameters.initialize(using: &random)
            featureCache = arena.matrix(rows: images.count, columns: layout.featureWidth)
        case .pretrained:
            let path = settings.pretrainedPath ?? ""
            guard !path.isEmpty else { throw VisualEncoderFileError(path: "(none)", problem: "the pretrained mode needs a weights file") }
            let file = try VisualEncoderFile.read(from: path)
            guard file.layout == layout else {
                throw VisualEncoderFileError(path: path, problem: "holds a stack of \(file.layout), the encoder is configured for \(layout)")
            }
            stackParameters.values.update(from: file.parameters, count: file.parameters.count)
            statistics.values.update(from: file.statistics, count: file.statistics.count)
            featureCache = arena.matrix(rows: images.count, columns: layout.featureWidth)
        }
        if let featureCache {
            computeFeatures(into: featureCache)
            standardize(featureCache)
        }
    }

    public var mode: VisualEncoderMode { settings.mode }
    /// Channels of the stack's pooled features.
    public var featureWidth: Int { layout.featureWidth }

    public var capacity: Int { maxBatch }

    /// Learned with batch norm: the running statistics, which training moves.
    /// Frozen, they are fixed by the seed or the weights file.
    public var statistics: Parameters? { featureCache == nil && layout.batchNorm ? runningStatistics : nil }

    /// The current batch's encodings, `batch × hidden`.
    public var table: Matrix { tableBuffer.rows(0..<batch) }
    public var tableGradient: Matrix { tableGradientBuffer.rows(0..<batch) }

    /// Its backward always runs (the image game's agents multiply the table itself).
    public func openTableGradient() -> Matrix { tableGradient }
    /// The current batch's stack features, `batch × featureWidth`.
    public var features: Matrix { (featureCache == nil ? stack.features : cachedFeatures).rows(0..<batch) }

    /// Makes `indices` (into `images`) the batch the next `forward` encodes.
    public func select(_ indices: Indices) {
        precondition(indices.count > 0 && indices.count <= maxBatch, "visual encoder: \(indices.count) images for a batch of at most \(maxBatch)")
        for position in 0..<indices.count {
            let index = indices[position]
            precondition(index >= 0 && index < images.count, "visual encoder: image \(index) of \(images.count)")
            selected[position] = index
        }
        batch = indices.count
        augmentedRows = 0..<0
    }

    /// Appends augmented copies of the batch's first `count` images as its
    /// next rows, each image's alteration drawn from `random`, and records
    /// their rotation classes in `rotations`. Call after `select`, before `forward`.
    public func appendAugmented(first count: Int, augmentation: ImageAugmentation, random: inout Random) {
        precondition(count <= batch && batch + count <= maxBatch && count <= rotationBuffer.count,
                     "visual encoder: \(count) augmented rows after \(batch) of at most \(maxBatch) (\(rotationBuffer.count) augmented)")
        for row in 0..<count { selected[batch + row] = selected[row] }
        // The altered pixels go straight into the input's rows past the scene,
        // which `forward` leaves as they are; the clean copies they come from
        // pass through the scene's first rows, which `forward` gathers again.
        gather(selected.slice(batch..<batch + count), into: input)
        augmentation.apply(input.rows(0..<count), shape: imageShape, into: input.rows(batch..<batch + count),
                           rotations: rotationBuffer.prefix(count), random: &random)
        augmentedRows = batch..<batch + count
        batch += count
    }

    public func appendSenderView(random: inout Random) -> Int {
        guard let senderAugmentation else { return 0 }
        appendAugmented(first: rotationBuffer.count, augmentation: senderAugmentation, random: &random)
        return augmentedRows.lowerBound
    }

    public var senderView: SenderView? {
        augmentedRows.isEmpty ? nil : SenderView(rows: augmentedRows, alterations: rotations)
    }

    public func select(_ indices: [Int]) {
        indices.withUnsafeBufferPointer { buffer in
            let copy = UnsafeMutablePointer<Int32>.allocate(capacity: max(buffer.count, 1))
            defer { copy.deallocate() }
            for (i, index) in buffer.enumerated() { copy[i] = Int32(truncatingIfNeeded: index) }
            select(Indices(copy, count: buffer.count))
        }
    }

    public func forward() {
        precondition(batch > 0, "visual encoder: no images selected")
        // Augmented rows already hold their pixels (see `appendAugmented`).
        let clean = augmentedRows.isEmpty ? batch : augmentedRows.lowerBound
        if let featureCache {
            for row in 0..<clean { cachedFeatures.row(row).update(from: featureCache.row(selected[row]), count: layout.featureWidth) }
            if !augmentedRows.isEmpty { encodeFrozen(input.rows(augmentedRows), into: cachedFeatures.rows(augmentedRows)) }
        } else {
            gather(selected.prefix(clean), into: input)
            stack.forward(input.rows(0..<batch), training: training)
        }
        projection.forward(features, into: table)
    }

    public var gradientReady: ((Range<Int>) -> Void)?

    /// Learned: the linear map's gradient is final first (the module's last
    /// parameters), then each convolution's with its batch norm, last first.
    public func backward() {
        let total = module.parameters.count
        if featureCache == nil {
            precondition(training, "visual encoder: backward after an evaluation-mode forward")
            let dFeatures = featureGradient.rows(0..<batch)
            projection.backward(features, outputGradient: tableGradient, inputGradient: dFeatures)
            gradientReady?(layout.parameterCount..<total)
            stack.backward(input.rows(0..<batch), featureGradient: dFeatures, finished: gradientReady)
        } else {
            projection.backward(features, outputGradient: tableGradient)
            gradientReady?(0..<total)
        }
        tableGradient.zero()
    }

    /// Fresh trainable parameters and optimizer state, as for a newly built
    /// encoder of the next generation; learned, the running statistics start
    /// afresh too (frozen, the stack and its cache stay as they are).
    public func reset() {
        module.reset()
        if featureCache == nil {
            var unused = module.initializer
            runningStatistics.initialize(using: &unused)
        }
    }

    /// Copies `indices`' images, NCHW in the data set, into `target`'s first
    /// rows as NHWC, the layers' layout.
    func gather(_ indices: Indices, into target: Matrix) {
        let channels = images.channels, positions = images.height * images.width, length = images.imageLength
        images.pixels.withUnsafeBufferPointer { pixels in
            for row in 0..<indices.count {
                let source = pixels.baseAddress! + indices[row] * length, destination = target.row(row)
                for channel in 0..<channels {
                    let plane = source + channel * positions
                    for position in 0..<positions { destination[position * channels + channel] = plane[position] }
                }
            }
        }
    }

    /// Every image's features, `maxBatch` images at a time, in evaluation mode
    /// (so none depends on the others of its chunk).
    func computeFeatures(into cache: Matrix) {
        var first = 0
        while first < images.count {
            let count = min(maxBatch, images.count - first)
            for row in 0..<count { selected[row] = first + row }
            gather(selected.prefix(count), into: input)
            stack.forward(input.rows(0..<count), training: false)
            for row in 0..<count { cache.row(first + row).update(from: stack.features.row(row), count: layout.featureWidth) }
            first += count
        }
        batch = 0
    }

    /// Frozen modes: the stack's standardised features of images the cache
    /// does not hold, in evaluation mode as the cache's were computed.
    func encodeFrozen(_ pixels: Matrix, into target: Matrix) {
        stack.forward(pixels, training: false)
        let width = layout.featureWidth
        for row in 0..<pixels.rows {
            let from = stack.features.row(row), to = target.row(row)
            for c in 0..<width { to[c] = (from[c] - featureMean[c]) * featureScale[c] }
        }
    }

    /// A random stack's features shrink with depth (about 10⁻³ for six layers
    /// of the default initialisation) and differ between images by less still,
    /// so the linear map would start blind to the image. Standardising each
    /// channel over the data set is a fixed affine map that gives it inputs of
    /// unit scale whatever the stack; a channel constant over the data set is
    /// only centred.
    func standardize(_ cache: Matrix) {
        let width = layout.featureWidth, fitted = max(standardizedImages, 1), count = Double(fitted)
        var mean = [Double](repeating: 0, count: width), variance = [Double](repeating: 0, count: width)
        for row in 0..<fitted { for c in 0..<width { mean[c] += Double(cache[row, c]) } }
        for c in 0..<width { mean[c] /= count }
        for row in 0..<fitted {
            for c in 0..<width {
                let deviation = Double(cache[row, c]) - mean[c]
                variance[c] += deviation * deviation
            }
        }
        featureMean = mean.map { Float($0) }
        featureScale = variance.map { $0 > 0 ? Float(1 / ($0 / count).squareRoot()) : 1 }
        for row in 0..<cache.rows {
            for c in 0..<width { cache[row, c] = (cache[row, c] - featureMean[c]) * featureScale[c] }
        }
    }

    /// The stack's weights and statistics, for `VisualEncoderFile.write(to:)`.
    public var stackFile: VisualEncoderFile {
        VisualEncoderFile(layout: layout, parameters: Array(UnsafeBufferPointer(start: stackParameters.values, count: layout.parameterCount)),
                          statistics: Array(runningStatistics.valueBuffer))
    }
}
