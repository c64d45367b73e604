import CAllocationCounter
import KoineTensor
import XCTest
@testable import KoineTrainer

/// A training step of a whole population allocates nothing once its buffers
/// exist: malloc counts over hundreds of steps are zero, whichever kernels
/// OpenBLAS picked (`BLAS.gemm` keeps products off the AVX-512 small-matrix
/// kernels that allocate; `BLASAllocationTests`).
final class StepAllocationTests: XCTestCase {
    /// Allocations over `steps` steps of `config`, the fewest of up to three
    /// attempts: other suites share the process's counter, and an allocation
    /// of the step shows in every attempt.
    func allocations(during steps: Int, config: String) throws -> UInt64 {
        let configuration = try Configuration.parse(config, source: "test")
        let population = try Population(configuration: configuration, random: Random(seed: 1))
        let savedThreads = BLAS.threads
        BLAS.threads = 1  // a multi-threaded OpenBLAS allocates inside large products
        defer { BLAS.threads = savedThreads }
        for step in 0..<20 { _ = try population.trainStep(step) }
        var fewest = UInt64.max
        for attempt in 0..<3 {
            let before = koine_allocation_count()
            for step in 0..<steps { _ = try population.trainStep(20 + attempt * steps + step) }
            fewest = min(fewest, koine_allocation_count() - before)
            if fewest == 0 { break }
        }
        return fewest
    }

    func assertAllocatesNothing(steps: Int, config: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let count = try allocations(during: steps, config: config)
        XCTAssertEqual(count, 0, "\(steps) steps allocated \(count) times (OpenBLAS's \(OpenBLASKernels.coreName) kernels)",
                       file: file, line: line)
    }

    /// The image game's step: a scene drawn, a learned convolutional encoder
    /// with batch norm, Gumbel-Softmax and the hinge loss.
    func testImageGameStepAllocatesNothing() throws {
        let config = """
            game: {kind: images, dataset: shapes, shapes: {train: 200, test: 32}, candidates: 16, vocab: 6,
                   message_length: 3, variable_length: true}
            agents: {hidden: 16, channel: gumbel, listener_loss: hinge,
                     visual: {mode: learned, widths: [4, 8], convolutions: 1, batch_norm: true}}
            train: {batch: 16}
            eval: {images: 32}
            telemetry: {endpoint: none}
            """
        try assertAllocatesNothing(steps: 100, config: config)
    }

    /// The same with Mihai & Hare's augmented sender view (noise and quarter
    /// turns) and each rotation task: the tasks' gradients set apart and combined.
    func testRotationTaskStepAllocatesNothing() throws {
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
            try assertAllocatesNothing(steps: 100, config: config)
        }
    }

    func testLiBowlingStepAllocatesNothing() throws {
        let config = """
            game: {attributes: [8, 4], candidates: 5, vocab: 8, message_length: 2}
            agents: {hidden: 100}
            population: {listeners: 1}
            train: {batch: 100}
            telemetry: {endpoint: none}
            """
        try assertAllocatesNothing(steps: 1000, config: config)
    }

    func testPopulationWithGumbelAndGRUAllocatesNothing() throws {
        let config = """
            game: {attributes: [4, 4], candidates: 4, vocab: 6, message_length: 3, variable_length: true}
            agents: {hidden: 32, cell: gru, channel: gumbel}
            population: {speakers: 2, listeners: 3, pairing: uniform}
            train: {batch: 32}
            telemetry: {endpoint: none}
            """
        try assertAllocatesNothing(steps: 300, config: config)
    }
}
