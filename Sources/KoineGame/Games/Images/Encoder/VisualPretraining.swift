import KoineTensor

/// Trains a visual encoder's convolutional stack as a classifier of a data
/// set's labels, for the `pretrained` mode: the encoder in `learned` mode with
/// one output per class (its final linear map is the classifier's head),
/// cross-entropy on shuffled training batches, Adam. No ImageNet weights can
/// be had here, so this stands in for Mihai & Hare's ImageNet-pretrained VGG16:
/// the stack learns the data set's own classes instead of ImageNet's.
public final class VisualPretraining {
    public let encoder: VisualEncoder
    /// Images of each split; `images` holds the training ones, then the test ones
    /// (one copy: the data set's two splits are not kept beside it).
    public let trainingCount: Int
    public let testCount: Int
    public let batch: Int
    let images: ImageSet
    let arena = Arena()
    let ids: Indices
    let targets: Indices
    let probabilities: Matrix
    var order: [Int]
    var position = 0
    var random: Random

    public init(dataset: ImageDataset, settings: VisualEncoderSettings, batch: Int, learningRate: Float, seed: UInt64) throws {
        precondition(batch >= 1 && batch <= dataset.train.count, "pretraining: batch \(batch) of \(dataset.train.count) images")
        trainingCount = dataset.train.count
        testCount = dataset.test.count
        self.batch = batch
        images = dataset.trainThenTest
        var learned = settings
        learned.mode = .learned
        random = Random(seed: seed).split(0x5052_4554_5241_494E)   // "PRETRAIN"
        encoder = try VisualEncoder(images: images, settings: learned, hidden: dataset.classNames.count, maxBatch: batch,
                                    optimizer: OptimizerSettings(kind: .adam, learningRate: learningRate), initializer: random.split(1))
        ids = arena.indices(batch)
        targets = arena.indices(batch)
        probabilities = arena.matrix(rows: batch, columns: dataset.classNames.count)
        order = Array(0..<dataset.train.count)
    }

    /// Training steps per pass over the training images.
    public var stepsPerEpoch: Int { trainingCount / batch }

    /// One step on the next batch of a shuffled pass; returns its mean loss
    /// and the fraction of its images classified right.
    public func step() -> (loss: Float, accuracy: Double) {
        if position == 0 || position + batch > order.count {
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.nextInt(below: i + 1)) }
            position = 0
        }
        for row in 0..<batch {
            ids[row] = order[position + row]
            targets[row] = images.labels[order[position + row]]
        }
        position += batch
        encoder.training = true
        encoder.select(ids)
        encoder.forward()
        let p = probabilities.rows(0..<batch)
        let loss = CrossEntropy.forward(logits: encoder.table, targets: targets, probabilities: p)
        CrossEntropy.backward(probabilities: p, targets: targets, logitGradient: encoder.openTableGradient(), scale: 1 / Float(batch))
        let correct = (0..<batch).filter { row in argmax(encoder.table.row(row), count: p.columns) == targets[row] }.count
        encoder.backward()
        encoder.module.step()
        return (loss, Double(correct) / Double(batch))
    }

    /// Accuracy on the test split (evaluation-mode batch norm), `batch` images at a time.
    public func testAccuracy() -> Double {
        encoder.training = false
        defer { encoder.training = true }
        var correct = 0, seen = 0, first = 0
        let test = testCount, offset = trainingCount
        while first < test {
            let count = min(batch, test - first)
            for row in 0..<count { ids[row] = offset + first + row }
            encoder.select(ids.prefix(count))
            encoder.forward()
            for row in 0..<count where argmax(encoder.table.row(row), count: encoder.table.columns) == images.labels[offset + first + row] {
                correct += 1
            }
            seen += count
            first += count
        }
        return seen > 0 ? Double(correct) / Double(seen) : 0
    }

    func argmax(_ row: UnsafeMutablePointer<Float>, count: Int) -> Int {
        var best = 0
        for j in 1..<max(count, 1) where row[j] > row[best] { best = j }
        return best
    }

    /// The trained stack and its running statistics, as `pretrained` reads them.
    public var file: VisualEncoderFile { encoder.stackFile }
}
