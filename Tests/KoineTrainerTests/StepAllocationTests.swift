import CAllocationCounter
import KoineTensor
import XCTest
@testable import KoineTrainer

/// A training step of a whole population adds no heap allocation of its own
/// once its buffers exist: malloc counts over 1,000 steps equal those of
/// replaying the same matrix products through BLAS alone. (OpenBLAS 0.3.21's
/// small-matrix kernels malloc a scratch block per call on some processors;
/// that is the library's, and the replay counts it.)
final class StepAllocationTests: XCTestCase {
    func allocations(during steps: Int, config: String) throws -> (population: UInt64, blas: UInt64) {
        let configuration = try Configuration.parse(config, source: "test")
        let population = try Population(configuration: configuration, random: Random(seed: 1))
        BLAS.threads = 1  // a multi-threaded OpenBLAS allocates inside large products
        for step in 0..<20 { _ = try population.trainStep(step) }

        // The products of one step, and buffers to replay them through BLAS alone.
        var shapes: [GemmShape] = []
        BLAS.recorder = { shapes.append($0) }
        _ = try population.trainStep(20)
        BLAS.recorder = nil
        let arena = Arena()
        let operands = shapes.map { s in
            (a: s.transposeA ? arena.matrix(rows: s.k, columns: s.m) : arena.matrix(rows: s.m, columns: s.k),
             b: s.transposeB ? arena.matrix(rows: s.n, columns: s.k) : arena.matrix(rows: s.k, columns: s.n),
             c: arena.matrix(rows: s.m, columns: s.n), shape: s)
        }
        func replay() {
            for o in operands {
                BLAS.gemm(o.a, transposeA: o.shape.transposeA, o.b, transposeB: o.shape.transposeB, into: o.c, beta: 1)
            }
        }
        replay()

        // Other suites share the process's counter; a real per-step allocation shows in every attempt.
        var fewest = UInt64.max, blas = UInt64.max
        for attempt in 0..<3 {
            var before = koine_allocation_count()
            for _ in 0..<steps { replay() }
            blas = min(blas, koine_allocation_count() - before)
            before = koine_allocation_count()
            for step in 0..<steps { _ = try population.trainStep(21 + attempt * steps + step) }
            fewest = min(fewest, koine_allocation_count() - before)
            if fewest <= blas { break }
        }
        return (fewest, blas)
    }

    /// `steps` steps of `config` allocate no more often than BLAS alone does on their products.
    func assertNothingOfItsOwn(steps: Int, config: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let counts = try allocations(during: steps, config: config)
        XCTAssertLessThanOrEqual(counts.population, counts.blas,
                                 "\(steps) steps allocated \(counts.population) times; BLAS alone on the same products \(counts.blas)",
                                 file: file, line: line)
    }

    /// The image game's step: a scene drawn, a learned convolutional encoder
    /// with batch norm, Gumbel-Softmax and the hinge loss.
    func testImageGameStepAllocatesNothingOfItsOwn() throws {
        let config = """
            game: {kind: images, dataset: shapes, shapes: {train: 200, test: 32}, candidates: 16, vocab: 6,
                   message_length: 3, variable_length: true}
            agents: {hidden: 16, channel: gumbel, listener_loss: hinge,
                     visual: {mode: learned, widths: [4, 8], convolutions: 1, batch_norm: true}}
            train: {batch: 16}
            eval: {images: 32}
            telemetry: {endpoint: none}
            """
        try assertNothingOfItsOwn(steps: 100, config: config)
    }

    /// The same with Mihai & Hare's augmented sender view (noise and quarter
    /// turns) and each rotation task: the tasks' gradients set apart and combined.
    func testRotationTaskStepAllocatesNothingOfItsOwn() throws {
        for (side, mode) in [("sender", "pcgrad"), ("receiver", "uncertainty")] {
            let config = """
                game: {kind: images, dataset: shapes, shapes: {train: 200, test: 32}, candidates: 16, vocab: 6,
                       message_length: 3, variable_length: true, augment: {noise: 0.1, rotation: quarter_turns}}
                agents: {hidden: 16, channel: gumbel, listener_loss: hinge, rotation_task: \(side),
                         visual: {mode: learned, widths: [4, 8], convolutions: 1, batch_norm: true}}
                train: {batch: 16, multitask: {mode: \(mode)}}
                eval: {images: 32}
                telemetry: {endpoint: none}
                """
            try assertNothingOfItsOwn(steps: 100, config: config)
        }
    }

    func testLiBowlingStepAllocatesNothingOfItsOwn() throws {
        let config = """
            game: {attributes: [8, 4], candidates: 5, vocab: 8, message_length: 2}
            agents: {hidden: 100}
            population: {listeners: 1}
            train: {batch: 100}
            telemetry: {endpoint: none}
            """
        try assertNothingOfItsOwn(steps: 1000, config: config)
    }

    func testPopulationWithGumbelAndGRUAllocatesNothingOfItsOwn() throws {
        let config = """
            game: {attributes: [4, 4], candidates: 4, vocab: 6, message_length: 3, variable_length: true}
            agents: {hidden: 32, cell: gru, channel: gumbel}
            population: {speakers: 2, listeners: 3, pairing: uniform}
            train: {batch: 32}
            telemetry: {endpoint: none}
            """
        try assertNothingOfItsOwn(steps: 300, config: config)
    }
}
