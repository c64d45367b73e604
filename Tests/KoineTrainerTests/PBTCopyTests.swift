import KoineTensor
import XCTest
@testable import KoineTrainer

/// What a PBT copy carries, in one process: two populations built from
/// different seeds stand for two members; the copier takes the source's
/// state bit for bit (parameters, optimizer state, generations, baselines,
/// births, batch norm's statistics) and keeps its own random streams.
final class PBTCopyTests: XCTestCase {
    static let attributes = """
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 16, encoder: private}
        population: {listeners: 2, reset: {listeners: {mode: staggered, every: 20}}}
        train: {batch: 16}
        """
    /// The image game with private encoders and batch norm, at a tiny size.
    static let images = """
        game: {kind: images, shapes: {train: 64, test: 16}, candidates: 4, vocab: 8, message_length: 2}
        agents: {hidden: 16, channel: gumbel, encoder: private, visual: {widths: [4], convolutions: 1, batch_norm: true}}
        population: {listeners: 2}
        train: {batch: 8}
        eval: {images: 8}
        """

    func member(_ yaml: String, seed: Int) throws -> Population {
        let configuration = try Configuration.parse(yaml, source: "t", overrides: ["seed=\(seed)"])
        return try Population(configuration: configuration, random: Random(seed: UInt64(seed)))
    }

    func optimizerStates(_ population: Population) -> [[Float]] {
        population.modules.flatMap { $0.module.optimizer.stateBuffers.map(Array.init) }
    }

    func check(_ yaml: String, steps: Int, statistics: Bool = false) throws {
        let source = try member(yaml, seed: 1), copier = try member(yaml, seed: 2)
        XCTAssertEqual(source.encoders.count, 3, "private encoders: the speaker's and the listeners'")
        XCTAssertEqual(source.encoders.allSatisfy { $0.statistics != nil }, statistics)
        for step in 0..<steps {
            try source.trainStep(step)
            try copier.trainStep(step)
        }
        XCTAssertNotEqual(copier.parametersChecksum(), source.parametersChecksum())
        let streams = (copier.gameStreams[0].state, copier.listenerStreams[1].state)
        var payload = CheckpointPayload()
        source.saveMember(into: &payload)
        var reader = CheckpointReader(payload.bytes[...], file: "source")
        try copier.restoreMember(from: &reader)
        XCTAssertTrue(reader.isAtEnd)
        XCTAssertEqual(copier.parametersChecksum(), source.parametersChecksum(), "parameters and statistics")
        XCTAssertEqual(optimizerStates(copier), optimizerStates(source))
        XCTAssertEqual(copier.modules.map { $0.module.optimizer.steps }, source.modules.map { $0.module.optimizer.steps })
        XCTAssertEqual(copier.modules.map { $0.module.generation }, source.modules.map { $0.module.generation })
        XCTAssertEqual(copier.listenerBirths, source.listenerBirths)
        XCTAssertEqual(copier.listeners.map(\.baseline), source.listeners.map(\.baseline))
        XCTAssertTrue(copier.gameStreams[0].state == streams.0 && copier.listenerStreams[1].state == streams.1,
                      "the copier keeps its own streams")
        // Its own streams draw other games: the two part at the next step.
        try source.trainStep(steps)
        try copier.trainStep(steps)
        XCTAssertNotEqual(copier.parametersChecksum(), source.parametersChecksum())
    }

    func testTheAttributeGamesCopyIsBitForBitAndKeepsTheCopiersStreams() throws {
        try check(Self.attributes, steps: 45)
    }

    func testTheImageGamesCopyCarriesPrivateEncodersAndTheirStatistics() throws {
        try check(Self.images, steps: 3, statistics: true)
    }
}
