import XCTest
import CAllocationCounter
@testable import KoineTensor

/// Once buffers exist, a training step touches no heap: `koine_allocation_count()`
/// (every malloc/calloc/realloc/posix_memalign/aligned_alloc of the process)
/// must not move over the measured loop. Nothing inside the loops may allocate
/// either — no XCTAssert, no arrays, no string interpolation.
///
/// OpenBLAS runs on one thread here, as each rank does (`BLAS.threads = 1`):
/// its threaded gemm path allocates a little on every call that it splits
/// across threads (about one malloc per large product with two threads), which
/// is OpenBLAS's own bookkeeping, not Koine's.
///
/// The counter is process-wide, and other suites share this test process
/// (their ZeroMQ I/O threads or pipe readers may still be winding down), so a
/// measurement that sees allocations is repeated, up to three times: an
/// allocation in the step itself shows in every attempt (≥ one per step),
/// a stray one from another thread does not.
final class AllocationTests: XCTestCase {
    var savedThreads = 1

    /// Allocations counted over `steps` calls of `step`, the fewest of up to three attempts.
    func allocations(steps: Int, _ step: () -> Void) -> (fewest: UInt64, attempts: [UInt64]) {
        var attempts: [UInt64] = []
        attempts.reserveCapacity(3)
        for _ in 0..<3 {
            let before = koine_allocation_count()
            for _ in 0..<steps { step() }
            let after = koine_allocation_count()
            attempts.append(after - before)
            if after == before { break }
        }
        if ProcessInfo.processInfo.environment["KOINE_GRADCHECK_VERBOSE"] != nil { print("allocation attempts: \(attempts)") }
        return (attempts.min()!, attempts)
    }

    override func setUp() {
        savedThreads = BLAS.threads
        BLAS.threads = 1
    }

    override func tearDown() {
        BLAS.threads = savedThreads
    }

    /// An LSTM step at batch 100, hidden 100, input 100: forward, backward and
    /// an Adam update, alternating a step from a zero state (nil h, c) with a
    /// step from the previous step's state, so both paths are covered.
    func testLSTMStepDoesNotAllocate() {
        let batch = 100, hidden = 100, input = 100
        let arena = Arena()
        let parameters = Parameters(count: LSTMCell.parameterCount(input: input, hidden: hidden))
        let cell = LSTMCell(input: input, hidden: hidden, parameters: parameters)
        var random = Random(seed: 1)
        parameters.initialize(using: &random)
        let adam = Adam(parameters: parameters, learningRate: 1e-3)

        let x1 = arena.matrix(rows: batch, columns: input), x2 = arena.matrix(rows: batch, columns: input)
        for r in 0..<batch { for c in 0..<input { x1[r, c] = random.nextFloat() - 0.5; x2[r, c] = random.nextFloat() - 0.5 } }
        let cache1 = LSTMCell.Cache(batch: batch, hidden: hidden, arena: arena)
        let cache2 = LSTMCell.Cache(batch: batch, hidden: hidden, arena: arena)
        let h1 = arena.matrix(rows: batch, columns: hidden), h2 = arena.matrix(rows: batch, columns: hidden)
        let dh = arena.matrix(rows: batch, columns: hidden), dc = arena.matrix(rows: batch, columns: hidden)
        let dx = arena.matrix(rows: batch, columns: input)
        var fromState = false

        func step() {
            parameters.zeroGradients()
            if fromState {
                cell.forward(input: x2, hiddenIn: h1, cellIn: cache1.cell, cache: cache2, hiddenOut: h2)
                dh.copy(from: h2)   // ∂(½‖h₂‖²)/∂h₂
                cell.backward(input: x2, hiddenIn: h1, cellIn: cache1.cell, cache: cache2, hiddenGradient: dh, cellGradient: nil,
                              inputGradient: dx, hiddenInGradient: dh, cellInGradient: dc)
            } else {
                cell.forward(input: x1, hiddenIn: nil, cellIn: nil, cache: cache1, hiddenOut: h1)
                dh.copy(from: h1)
                cell.backward(input: x1, hiddenIn: nil, cellIn: nil, cache: cache1, hiddenGradient: dh, cellGradient: dc,
                              inputGradient: dx, hiddenInGradient: dh, cellInGradient: dc)
            }
            adam.update()
            fromState.toggle()
        }

        for _ in 0..<5 { step() }   // warm-up: BLAS buffers, lazy runtime metadata
        let counted = allocations(steps: 1000, step)
        XCTAssertEqual(counted.fewest, 0, "heap allocations in 1,000 LSTM steps (attempts: \(counted.attempts))")
        XCTAssertTrue(h2[0, 0].isFinite && parameters.values[0].isFinite)
        XCTAssertEqual(adam.steps, 5 + 1000 * counted.attempts.count)
    }

    /// Every other layer, loss and optimizer in one step (batch 20): nothing allocates.
    func testEveryLayerStepDoesNotAllocate() {
        let batch = 20, width = 16, vocab = 8, k = 5, hidden = 16
        let arena = Arena()
        let count = Embedding.parameterCount(count: vocab, width: width)
            + GRUCell.parameterCount(input: width, hidden: hidden)
            + LSTMCell.parameterCount(input: width, hidden: hidden)
            + Linear.parameterCount(input: hidden, output: width)
            + Linear.parameterCount(input: hidden, output: vocab, bias: false)
        let parameters = Parameters(count: count)
        let embedding = Embedding(count: vocab, width: width, parameters: parameters)
        let gru = GRUCell(input: width, hidden: hidden, parameters: parameters)
        let lstm = LSTMCell(input: width, hidden: hidden, parameters: parameters)
        let query = Linear(input: hidden, output: width, parameters: parameters)
        let head = Linear(input: hidden, output: vocab, bias: false, parameters: parameters)
        var random = Random(seed: 2)
        parameters.initialize(using: &random)
        let adam = Adam(parameters: parameters), sgd = SGD(parameters: parameters, learningRate: 0.01, momentum: 0.9)
        let blocks = [parameters]

        let symbols = arena.indices(batch), targets = arena.indices(batch), actions = arena.indices(batch)
        let candidates = arena.indices(batch * k)
        for i in 0..<batch { symbols[i] = i % vocab; targets[i] = i % k }
        for i in 0..<(batch * k) { candidates[i] = (i * 3) % vocab }
        let embedded = arena.matrix(rows: batch, columns: width)
        let gruCache = GRUCell.Cache(batch: batch, hidden: hidden, arena: arena)
        let lstmCache = LSTMCell.Cache(batch: batch, hidden: hidden, arena: arena)
        let hGRU = arena.matrix(rows: batch, columns: hidden), hLSTM = arena.matrix(rows: batch, columns: hidden)
        let activated = arena.matrix(rows: batch, columns: hidden)
        let q = arena.matrix(rows: batch, columns: width), scores = arena.matrix(rows: batch, columns: k)
        let probabilities = arena.matrix(rows: batch, columns: k), dScores = arena.matrix(rows: batch, columns: k)
        let dq = arena.matrix(rows: batch, columns: width), dActivated = arena.matrix(rows: batch, columns: hidden)
        let dh = arena.matrix(rows: batch, columns: hidden), dEmbedded = arena.matrix(rows: batch, columns: width)
        let dTable = arena.matrix(rows: vocab, columns: width)
        let candidateRows = arena.matrix(rows: batch * k, columns: width), dCandidates = arena.matrix(rows: batch * k, columns: width)
        let logits = arena.matrix(rows: batch, columns: vocab), logProbabilities = arena.matrix(rows: batch, columns: vocab)
        let dLogits = arena.matrix(rows: batch, columns: vocab), soft = arena.matrix(rows: batch, columns: vocab)
        let output = arena.matrix(rows: batch, columns: vocab)
        let chosen = arena.floats(batch), entropies = arena.floats(batch), gLog = arena.floats(batch), gEntropy = arena.floats(batch)
        for i in 0..<batch { gLog[i] = 0.1; gEntropy[i] = 0.01 }

        func step() {
            parameters.zeroGradients()
            embedding.forward(symbols, into: embedded)
            gru.forward(input: embedded, hiddenIn: nil, cache: gruCache, hiddenOut: hGRU)
            lstm.forward(input: embedded, hiddenIn: hGRU, cellIn: nil, cache: lstmCache, hiddenOut: hLSTM)
            Tanh.forward(hLSTM, into: activated)
            Sigmoid.forward(activated, into: activated)
            ReLU.forward(activated, into: activated)
            query.forward(activated, into: q)
            DotScoring.forward(query: q, table: embedding.table.value, candidates: candidates, scores: scores)
            embedding.forward(candidates, into: candidateRows)
            DotScoring.forward(query: q, candidates: candidateRows, scores: probabilities)
            _ = CrossEntropy.forward(logits: scores, targets: targets, probabilities: probabilities)
            _ = HingeLoss.forward(scores: scores, targets: targets)
            head.forward(activated, into: logits)
            Categorical.sample(logits: logits, logProbabilities: logProbabilities, actions: actions,
                               chosenLogProbabilities: chosen, entropies: entropies, random: &random)
            GumbelSoftmax.forward(logits: logits, temperature: 1, straightThrough: true, noise: true,
                                  random: &random, soft: soft, output: output, actions: actions)
            Softmax.forward(logits, into: soft)
            LogSoftmax.forward(logits, into: output)

            Categorical.backward(logProbabilities: logProbabilities, actions: actions, entropies: entropies,
                                 logProbabilityGradient: gLog, entropyGradient: gEntropy, logitGradient: dLogits)
            GumbelSoftmax.backward(soft: soft, temperature: 1, outputGradient: dLogits, logitGradient: dLogits)
            Softmax.backward(output: soft, outputGradient: dLogits, inputGradient: dLogits)
            LogSoftmax.backward(output: output, outputGradient: dLogits, inputGradient: dLogits)
            head.backward(activated, outputGradient: dLogits, inputGradient: dActivated)
            CrossEntropy.backward(probabilities: probabilities, targets: targets, logitGradient: dScores)
            HingeLoss.backward(scores: scores, targets: targets, scoreGradient: dScores)
            DotScoring.backward(query: q, candidates: candidateRows, scoreGradient: dScores, queryGradient: dq, candidateGradient: dCandidates)
            embedding.backward(candidates, outputGradient: dCandidates)
            DotScoring.backward(query: q, table: embedding.table.value, candidates: candidates, scoreGradient: dScores,
                                queryGradient: dq, tableGradient: dTable)
            query.backward(activated, outputGradient: dq, inputGradient: dActivated, accumulateInput: true)
            ReLU.backward(output: activated, outputGradient: dActivated, inputGradient: dActivated)
            Sigmoid.backward(output: activated, outputGradient: dActivated, inputGradient: dActivated)
            Tanh.backward(output: activated, outputGradient: dActivated, inputGradient: dh)
            lstm.backward(input: embedded, hiddenIn: hGRU, cellIn: nil, cache: lstmCache, hiddenGradient: dh, cellGradient: nil,
                          inputGradient: dEmbedded, hiddenInGradient: dh)
            gru.backward(input: embedded, hiddenIn: nil, cache: gruCache, hiddenGradient: dh,
                         inputGradient: dEmbedded, hiddenInGradient: dh, accumulateInput: true)
            embedding.backward(symbols, outputGradient: dEmbedded)
            GradientClipping.clip(blocks, maxNorm: 1)
            adam.update()
            sgd.update()
        }

        for _ in 0..<3 { step() }
        let counted = allocations(steps: 100, step)
        XCTAssertEqual(counted.fewest, 0, "heap allocations in 100 steps through every layer (attempts: \(counted.attempts))")
        XCTAssertTrue(parameters.values[0].isFinite)
    }

    /// A convolutional stack at batch 16 on 16 × 16 × 3 images — conv → batch
    /// norm → ReLU → max-pool → conv → global average pool — forward, backward
    /// and an Adam update, alternating the full batch with a smaller one.
    /// Winograd's passes (transforms, 16 products per group, uneven groups,
    /// the input gradient) allocate nothing either.
    func testWinogradConvolutionDoesNotAllocate() {
        let batch = 5, image = ImageShape(height: 8, width: 8, channels: 8)
        let parameters = Parameters(count: Conv2D.parameterCount(inputChannels: 8, outputChannels: 16, kernel: 3))
        let conv = Conv2D(input: image, outputChannels: 16, kernel: 3, padding: 1, algorithm: .winograd, tilesPerProduct: 32,
                          parameters: parameters)
        var random = Random(seed: 5)
        parameters.initialize(using: &random)
        let arena = Arena()
        let scratch = Conv2D.Scratch(for: [conv], arena: arena)
        let x = arena.matrix(rows: batch, columns: image.count), y = arena.matrix(rows: batch, columns: conv.output.count)
        let dx = arena.matrix(rows: batch, columns: image.count)
        for r in 0..<batch { for c in 0..<image.count { x[r, c] = random.nextFloat() - 0.5 } }
        func step() {
            conv.forward(x, into: y, scratch: scratch)
            conv.backward(x, outputGradient: y, inputGradient: dx, scratch: scratch)
        }
        for _ in 0..<3 { step() }
        let counted = allocations(steps: 50, step)
        XCTAssertEqual(counted.fewest, 0, "heap allocations in 50 Winograd passes (attempts: \(counted.attempts))")
    }

    func testConvolutionStackDoesNotAllocate() {
        let batch = 16, image = ImageShape(height: 16, width: 16, channels: 3)
        let arena = Arena()
        let statistics = Parameters(count: BatchNorm.statisticCount(channels: 8))
        let parameters = Parameters(count: Conv2D.parameterCount(inputChannels: 3, outputChannels: 8, kernel: 3, bias: false)
            + BatchNorm.parameterCount(channels: 8) + Conv2D.parameterCount(inputChannels: 8, outputChannels: 16, kernel: 3))
        let first = Conv2D(input: image, outputChannels: 8, kernel: 3, padding: 1, bias: false, parameters: parameters)
        let norm = BatchNorm(channels: 8, parameters: parameters, statistics: statistics)
        let pool = MaxPool2D(input: first.output)
        let second = Conv2D(input: pool.output, outputChannels: 16, kernel: 3, padding: 1, parameters: parameters)
        let average = GlobalAveragePool(input: second.output)
        var random = Random(seed: 3)
        parameters.initialize(using: &random)
        statistics.initialize(using: &random)
        let adam = Adam(parameters: parameters)
        let scratch = Conv2D.Scratch(for: [first, second], arena: arena)
        let cache = BatchNorm.Cache(channels: 8, arena: arena)
        let x = arena.matrix(rows: batch, columns: image.count)
        for r in 0..<batch { for c in 0..<image.count { x[r, c] = random.nextFloat() - 0.5 } }
        let convolved = arena.matrix(rows: batch, columns: first.output.count)
        let normalized = arena.matrix(rows: batch, columns: first.output.count)
        let pooled = arena.matrix(rows: batch, columns: pool.output.count)
        let features = arena.matrix(rows: batch, columns: second.output.count)
        let out = arena.matrix(rows: batch, columns: 16), dOut = arena.matrix(rows: batch, columns: 16)
        let dFeatures = arena.matrix(rows: batch, columns: second.output.count)
        let dPooled = arena.matrix(rows: batch, columns: pool.output.count)
        let dNormalized = arena.matrix(rows: batch, columns: first.output.count)
        let dx = arena.matrix(rows: batch, columns: image.count)
        var full = true

        func step() {
            let n = full ? batch : batch / 2
            parameters.zeroGradients()
            first.forward(x.rows(0..<n), into: convolved.rows(0..<n), scratch: scratch)
            norm.forwardTraining(convolved.rows(0..<n), into: normalized.rows(0..<n), cache: cache, rectified: true)
            pool.forward(normalized.rows(0..<n), into: pooled.rows(0..<n))
            second.forward(pooled.rows(0..<n), into: features.rows(0..<n), scratch: scratch)
            average.forward(features.rows(0..<n), into: out.rows(0..<n))
            dOut.copy(from: out)   // ∂(½‖out‖²)/∂out
            average.backward(outputGradient: dOut.rows(0..<n), inputGradient: dFeatures.rows(0..<n))
            second.backward(pooled.rows(0..<n), outputGradient: dFeatures.rows(0..<n), inputGradient: dPooled.rows(0..<n),
                            scratch: scratch)
            pool.backward(input: normalized.rows(0..<n), output: pooled.rows(0..<n), outputGradient: dPooled.rows(0..<n),
                          inputGradient: dNormalized.rows(0..<n))
            norm.backwardTraining(convolved.rows(0..<n), cache: cache, outputGradient: dNormalized.rows(0..<n),
                                  inputGradient: dNormalized.rows(0..<n), rectified: true)
            first.backward(x.rows(0..<n), outputGradient: dNormalized.rows(0..<n), inputGradient: dx.rows(0..<n), scratch: scratch)
            adam.update()
            full.toggle()
        }

        for _ in 0..<3 { step() }
        let counted = allocations(steps: 50, step)
        XCTAssertEqual(counted.fewest, 0, "heap allocations in 50 steps of a convolutional stack (attempts: \(counted.attempts))")
        XCTAssertTrue(parameters.values[0].isFinite && statistics.values[0].isFinite)
    }

    /// The counter itself works (so a zero above means something).
    func testCounterSeesAllocations() {
        let before = koine_allocation_count()
        let arena = Arena()
        _ = arena.matrix(rows: 10, columns: 10)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 1000)
        p.deallocate()
        XCTAssertGreaterThanOrEqual(koine_allocation_count() - before, 2)
    }
}
