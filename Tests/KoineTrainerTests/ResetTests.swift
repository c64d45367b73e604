import KoineGame
import KoineTensor
import XCTest
@testable import KoineTrainer

final class ResetScheduleTests: XCTestCase {
    func hits(_ mode: ResetMode, every: Int, count: Int, steps: Int) -> [Int: [Int]] {
        let schedule = ResetSchedule(settings: ResetSettings(mode: mode, every: every), count: count)
        var out: [Int: [Int]] = [:]
        for step in 0..<steps {
            let agents = Array(schedule.agents(before: step))
            if !agents.isEmpty { out[step] = agents }
        }
        return out
    }

    func testSequentialAndSimultaneousHitEveryAgentEveryPeriod() {
        XCTAssertEqual(hits(.sequential, every: 5, count: 1, steps: 21), [5: [0], 10: [0], 15: [0], 20: [0]])
        XCTAssertEqual(hits(.simultaneous, every: 4, count: 3, steps: 13), [4: [0, 1, 2], 8: [0, 1, 2], 12: [0, 1, 2]])
        XCTAssertEqual(hits(.sequential, every: 4, count: 3, steps: 9), [4: [0, 1, 2], 8: [0, 1, 2]])
    }

    func testStaggeredHitsEachAgentInTurn() {
        // 4 listeners, every 8: one every 2 steps, in turn 0, 1, 2, 3, 0, 1, ...
        let schedule = ResetSchedule(settings: ResetSettings(mode: .staggered, every: 8), count: 4)
        XCTAssertEqual(schedule.period, 2)
        let h = hits(.staggered, every: 8, count: 4, steps: 25)
        XCTAssertEqual(h.keys.sorted(), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24])
        XCTAssertEqual(h.keys.sorted().map { h[$0]! }, [[0], [1], [2], [3], [0], [1], [2], [3], [0], [1], [2], [3]])
        // Each agent then lives exactly `every` steps between resets.
        for agent in 0..<4 {
            let steps = h.keys.sorted().filter { h[$0] == [agent] }
            XCTAssertEqual(zip(steps.dropFirst(), steps).map { $0 - $1 }, [8, 8], "agent \(agent)")
        }
        // 10 listeners over 60 steps (every 60): one every 6 steps.
        let ten = hits(.staggered, every: 60, count: 10, steps: 121)
        XCTAssertEqual(ten.keys.sorted(), Array(stride(from: 6, through: 120, by: 6)))
        XCTAssertEqual(ten.keys.sorted().map { ten[$0]![0] }, (0..<20).map { $0 % 10 })
    }

    func testNoneNeverResets() {
        XCTAssertEqual(hits(.none, every: 0, count: 3, steps: 100), [:])
        XCTAssertEqual(hits(.none, every: 5, count: 3, steps: 100), [:])
        XCTAssertEqual(ResetSchedule(settings: ResetSettings(mode: .none, every: 5), count: 3).period, 0)
    }

    func testNothingResetsBeforeStepZero() {
        for mode in ResetMode.allCases {
            XCTAssertEqual(ResetSchedule(settings: ResetSettings(mode: mode, every: 1), count: 1).agents(before: 0), 0..<0)
        }
    }
}

final class PairingScheduleTests: XCTestCase {
    func partners(_ mode: PairingMode, speakers: Int, listeners: Int, steps: Int) -> [[[Int]]] {
        let pairings = Pairings(mode: mode, speakers: speakers, listeners: listeners)
        var random = Random(seed: 1)
        return (0..<steps).map { step in
            pairings.draw(step: step, random: &random)
            return (0..<speakers).map { Array(pairings.partners(of: $0)) }
        }
    }

    func testEachListenerKnowsItsPlaysAndLastSpeaker() {
        let pairings = Pairings(mode: .roundRobin, speakers: 3, listeners: 2)
        var random = Random(seed: 1)
        pairings.draw(step: 0, random: &random)  // speakers 0, 1, 2 play listeners 0, 1, 0
        XCTAssertEqual([pairings.plays(of: 0), pairings.plays(of: 1)], [2, 1])
        XCTAssertTrue(pairings.isLast(speaker: 2, of: 0))
        XCTAssertFalse(pairings.isLast(speaker: 0, of: 0))
        XCTAssertTrue(pairings.isLast(speaker: 1, of: 1))
        XCTAssertFalse(pairings.isIdle(0) || pairings.isIdle(1))
        let idle = Pairings(mode: .roundRobin, speakers: 1, listeners: 3)
        idle.draw(step: 1, random: &random)
        XCTAssertEqual((0..<3).map(idle.isIdle), [true, false, true])
    }

    func testAllPairsEverySpeakerWithEveryListener() {
        for step in partners(.all, speakers: 2, listeners: 3, steps: 5) {
            XCTAssertEqual(step, [[0, 1, 2], [0, 1, 2]])
        }
    }

    func testRoundRobinRotates() {
        let p = partners(.roundRobin, speakers: 2, listeners: 3, steps: 4)
        XCTAssertEqual(p, [[[0], [1]], [[1], [2]], [[2], [0]], [[0], [1]]])
        // Over L steps each speaker meets every listener once.
        for s in 0..<2 {
            XCTAssertEqual(Set(p.prefix(3).map { $0[s][0] }), [0, 1, 2])
        }
    }

    func testUniformPicksOneListenerAtRandom() {
        let p = partners(.uniform, speakers: 2, listeners: 4, steps: 4000)
        var counts = [Int](repeating: 0, count: 4)
        for step in p {
            for s in 0..<2 {
                XCTAssertEqual(step[s].count, 1)
                counts[step[s][0]] += 1
            }
        }
        // 8,000 draws, 2,000 expected each (sd ≈ 39).
        for c in counts { XCTAssertTrue((1800...2200).contains(c), "\(counts)") }
        XCTAssertNotEqual(p.map { $0[0][0] }, p.map { $0[1][0] }, "speakers draw independently")
    }
}

final class PopulationResetTests: XCTestCase {
    static func configuration(_ extra: [String] = []) throws -> Configuration {
        try Configuration.parse("""
            seed: 5
            game: {attributes: [4, 4], candidates: 3, vocab: 4, message_length: 2}
            agents: {hidden: 8}
            population: {speakers: 2, listeners: 3}
            train: {steps: 40, batch: 6}
            eval: {every: 0, ease_of_teaching: {every: 0}}
            telemetry: {endpoint: none}
            """, source: "test", overrides: extra)
    }

    func values(_ module: Module) -> [Float] { Array(module.parameters.valueBuffer) }

    func assertFresh(_ module: Module, generation: Int, like reference: Module, _ label: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(module.generation, generation, label, file: file, line: line)
        reference.initialize(generation: generation)
        XCTAssertEqual(values(module), values(reference), "\(label): parameters are not those of generation \(generation)", file: file, line: line)
        for (i, buffer) in module.optimizer.stateBuffers.enumerated() {
            XCTAssertTrue(buffer.allSatisfy { $0 == 0 }, "\(label): optimizer state \(i) is not zero", file: file, line: line)
        }
        XCTAssertEqual(module.optimizer.steps, 0, label, file: file, line: line)
    }

    func train(_ population: Population, steps: Range<Int>) throws -> [ResetEvent] {
        var events: [ResetEvent] = []
        for step in steps {
            events += try population.trainStep(step).resets
        }
        return events
    }

    func testResetListenerEqualsAFreshInitialisationWithZeroOptimizerState() throws {
        let configuration = try Self.configuration()
        let population = try Population(configuration: configuration, random: Random(seed: 5))
        let reference = try Population(configuration: configuration, random: Random(seed: 5))
        let initial = population.listeners.map { values($0.module) }
        _ = try train(population, steps: 0..<10)
        let listener = population.listeners[1]
        XCTAssertNotEqual(values(listener.module), initial[1], "training changed the listener")
        XCTAssertTrue(listener.module.optimizer.stateBuffers.contains { $0.contains { $0 != 0 } }, "Adam has state before the reset")
        let untouched = values(population.listeners[0].module)
        let speaker = values(population.speakers[0].module)

        population.resetListener(1, step: 10)
        assertFresh(listener.module, generation: 1, like: reference.listeners[1].module, "listener 1")
        XCTAssertNotEqual(values(listener.module), initial[1], "generation 1 differs from generation 0")
        XCTAssertEqual(listener.baseline, 0)
        XCTAssertEqual(population.listenerBirths, [0, 10, 0])
        XCTAssertEqual(values(population.listeners[0].module), untouched, "other listeners are not touched")
        XCTAssertEqual(values(population.speakers[0].module), speaker, "speakers are not touched")

        // A second reset gives generation 2, again as freshly built.
        _ = try train(population, steps: 10..<13)
        population.resetListener(1, step: 13)
        assertFresh(listener.module, generation: 2, like: reference.listeners[1].module, "listener 1 again")

        population.resetSpeaker(0, step: 13)
        assertFresh(population.speakers[0].module, generation: 1, like: reference.speakers[0].module, "speaker 0")
        XCTAssertEqual(population.speakerBirths, [13, 0])
    }

    func testGenerationZeroIsTheInitialAgent() throws {
        let configuration = try Self.configuration()
        let population = try Population(configuration: configuration, random: Random(seed: 5))
        let initial = values(population.listeners[2].module)
        _ = try train(population, steps: 0..<5)
        population.listeners[2].module.initialize(generation: 0)
        XCTAssertEqual(values(population.listeners[2].module), initial)
    }

    func testPrivateEncoderIsResetWithItsAgent() throws {
        let configuration = try Self.configuration(["agents.encoder=private"])
        let population = try Population(configuration: configuration, random: Random(seed: 5))
        let reference = try Population(configuration: configuration, random: Random(seed: 5))
        XCTAssertNil(population.sharedEncoder)
        XCTAssertEqual(population.encoders.count, 5)
        _ = try train(population, steps: 0..<6)
        let speakerEncoder = values(population.speakers[0].encoder.module)
        population.resetListener(2, step: 6)
        assertFresh(population.listeners[2].module, generation: 1, like: reference.listeners[2].module, "listener 2")
        assertFresh(population.listeners[2].encoder.module, generation: 1, like: reference.listeners[2].encoder.module, "listener 2's encoder")
        XCTAssertEqual(values(population.speakers[0].encoder.module), speakerEncoder)
    }

    func testSharedEncoderSurvivesResets() throws {
        let configuration = try Self.configuration()
        let population = try Population(configuration: configuration, random: Random(seed: 5))
        _ = try train(population, steps: 0..<4)
        let shared = try XCTUnwrap(population.sharedEncoder)
        let before = values(shared.module)
        population.resetListener(0, step: 4)
        population.resetSpeaker(1, step: 4)
        XCTAssertEqual(values(shared.module), before)
        XCTAssertEqual(shared.module.generation, 0)
    }

    /// With `speaker_optimizer`, every listener reset re-creates the speakers'
    /// optimizer state (as Li & Bowling's code does) and touches nothing else.
    func testListenerResetsCanResetTheSpeakersOptimizer() throws {
        for resetsOptimizer in [false, true] {
            let configuration = try Self.configuration([
                "population.reset.listeners={mode: staggered, every: 12}", "agents.encoder=private",
                "population.reset.speaker_optimizer=\(resetsOptimizer)",
            ])
            let population = try Population(configuration: configuration, random: Random(seed: 5))
            _ = try train(population, steps: 0..<4)  // the first reset comes before step 4
            let speaker = population.speakers[0]
            XCTAssertEqual(speaker.module.optimizer.steps, 4)
            let parameters = Array(UnsafeBufferPointer(start: speaker.module.parameters.values, count: speaker.module.parameters.count))
            let events = try population.trainStep(4).resets
            XCTAssertEqual(events.map(\.role), [.listener])
            XCTAssertEqual(speaker.module.optimizer.steps, resetsOptimizer ? 1 : 5, "\(resetsOptimizer)")
            XCTAssertEqual(speaker.encoder.module.optimizer.steps, resetsOptimizer ? 1 : 5)
            XCTAssertEqual(speaker.module.generation, 0, "the speaker's parameters are not re-drawn")
            XCTAssertNotEqual(Array(UnsafeBufferPointer(start: speaker.module.parameters.values, count: speaker.module.parameters.count)),
                              parameters, "it keeps learning")
        }
    }

    func testStaggeredScheduleInTrainingHitsEachListenerInTurn() throws {
        let configuration = try Self.configuration(["population.reset.listeners={mode: staggered, every: 12}"])
        let population = try Population(configuration: configuration, random: Random(seed: 5))
        let events = try train(population, steps: 0..<40)
        XCTAssertEqual(events.map(\.step), [4, 8, 12, 16, 20, 24, 28, 32, 36])
        XCTAssertEqual(events.map(\.agent), [0, 1, 2, 0, 1, 2, 0, 1, 2])
        XCTAssertTrue(events.allSatisfy { $0.role == .listener })
        XCTAssertEqual(population.listenerBirths, [28, 32, 36])
        XCTAssertEqual(population.listeners.map(\.module.generation), [3, 3, 3])
        XCTAssertEqual(population.speakers.map(\.module.generation), [0, 0])
    }

    func testSimultaneousSpeakerScheduleHitsEverySpeaker() throws {
        let configuration = try Self.configuration(["population.reset.speakers={mode: simultaneous, every: 15}"])
        let population = try Population(configuration: configuration, random: Random(seed: 5))
        let events = try train(population, steps: 0..<31)
        XCTAssertEqual(events.map(\.step), [15, 15, 30, 30])
        XCTAssertEqual(events.map(\.agent), [0, 1, 0, 1])
        XCTAssertTrue(events.allSatisfy { $0.role == .speaker })
        XCTAssertEqual(population.speakers.map(\.module.generation), [2, 2])
        XCTAssertEqual(population.listeners.map(\.module.generation), [0, 0, 0])
    }

    func testResetJustBeforeAStepLeavesAFreshAgent() throws {
        // Applied by the schedule, the reset agent is fresh when the step begins.
        let configuration = try Self.configuration(["population.reset.listeners={mode: sequential, every: 7}"])
        let population = try Population(configuration: configuration, random: Random(seed: 5))
        let reference = try Population(configuration: configuration, random: Random(seed: 5))
        _ = try train(population, steps: 0..<7)
        let events = population.applyResets(before: 7)
        XCTAssertEqual(events.map(\.agent), [0, 1, 2])
        for l in 0..<3 {
            assertFresh(population.listeners[l].module, generation: 1, like: reference.listeners[l].module, "listener \(l)")
        }
    }
}
