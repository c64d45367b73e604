import XCTest
@testable import KoineGame
import KoineTensor

/// The image game's pieces: scenes of distinct training images, games over
/// them, Mihai & Hare's measures against hand-worked cases, and the
/// listener's hinge loss differentiated into the listener and the encoder.
final class ImageGameTests: XCTestCase {
    func makeGame(candidates: Int, scene: Int, mode: VisualEncoderMode = .frozenRandom) throws -> ImageGame {
        let dataset = try ImageDataset.load(kind: .shapes, options: ImageDatasetOptions(seed: 2, shapesSide: 16, shapesTrain: 40, shapesTest: 24))
        return ImageGame(dataset: dataset, candidates: candidates, sceneSize: scene,
                         encoder: VisualEncoderSettings(mode: mode, widths: [4], convolutionsPerBlock: 1, batchNorm: false),
                         evaluatedImages: 24, distance: .cosine, seed: 5)
    }

    func testScenesAreDistinctTrainingImagesDecidedByRankAndStep() throws {
        let game = try makeGame(candidates: 8, scene: 8)
        let arena = Arena()
        let scene = arena.indices(8), again = arena.indices(8), otherRank = arena.indices(8)
        var differ = 0
        for step in 0..<50 {
            game.drawScene(step: step, rank: 0, into: scene)
            XCTAssertEqual(Set(scene.array).count, 8, "distinct images")
            XCTAssertTrue(scene.array.allSatisfy { $0 >= 0 && $0 < game.trainingCount }, "training images only")
            game.drawScene(step: step, rank: 1, into: otherRank)
            game.drawScene(step: step, rank: 0, into: again)
            XCTAssertEqual(again.array, scene.array, "any rank can draw rank 0's scene of a step again")
            if otherRank.array != scene.array { differ += 1 }
        }
        XCTAssertEqual(differ, 50, "ranks draw scenes of their own")
    }

    func testEveryImageOfTheSceneIsATargetOnce() throws {
        let arena = Arena()
        for candidates in [8, 3] {
            let game = try makeGame(candidates: candidates, scene: 8)
            let batch = GameBatch(size: 8, candidates: candidates, arena: arena)
            var random = Random(seed: 3)
            game.sample(into: batch, random: &random)
            XCTAssertEqual(batch.targets.array, Array(0..<8))
            for b in 0..<8 {
                let row = (0..<candidates).map { batch.candidates[b * candidates + $0] }
                XCTAssertEqual(Set(row).count, candidates, "distinct candidates")
                XCTAssertTrue(row.allSatisfy { (0..<8).contains($0) }, "candidates come from the scene")
                XCTAssertEqual(row[batch.targetPositions[b]], b, "the target stands where its position says")
            }
        }
    }

    /// Six candidates with labels [0, 1, 0, 2, 0, 1]; the target is candidate 0.
    func testMeasuresAgainstHandWorkedGames() {
        let arena = Arena()
        let batch = GameBatch(size: 2, candidates: 6, arena: arena)
        for b in 0..<2 {
            for k in 0..<6 { batch.candidates[b * 6 + k] = k }
            batch.targets[b] = 0
            batch.targetPositions[b] = 0
        }
        let scores = arena.matrix(rows: 2, columns: 6)
        // Game 0: order 0, 2, 1, 3, 4, 5: won; class-0 images at ranks 1, 2, 5.
        for (k, s) in [9, 7, 8, 6, 5, 4].enumerated() { scores[0, k] = Float(s) }
        // Game 1: order 5, 4, 3, 1, 2, 0: lost, target sixth (not in the top 5);
        // class-0 images (0, 2, 4) at ranks 6, 5, 2.
        for (k, s) in [1, 3, 2, 4, 5, 6].enumerated() { scores[1, k] = Float(s) }
        let labels = [0, 1, 0, 2, 0, 1]
        var tally = ImageGameTally()
        tally.add(scores: scores, batch: batch) { labels[$0] }
        XCTAssertEqual(tally.rate, 0.5)
        XCTAssertEqual(tally.rateDeviation, 0.5)
        XCTAssertEqual(tally.top5Rate, 0.5)
        // Top five: game 0 holds 0, 2, 4 (3 of class 0); game 1 holds 4, 2 (2).
        XCTAssertEqual(tally.classInTop5, 2.5)
        // Mean class-0 rank: game 0 (1 + 2 + 5) / 3, game 1 (6 + 5 + 2) / 3.
        XCTAssertEqual(tally.classRank, ((1.0 + 2 + 5) / 3 + (6.0 + 5 + 2) / 3) / 2, accuracy: 1e-12)
    }

    func testEqualScoresBreakTiesAsTheGreedyChoiceDoes() {
        let arena = Arena()
        let batch = GameBatch(size: 1, candidates: 3, arena: arena)
        for k in 0..<3 { batch.candidates[k] = k }
        batch.targets[0] = 2
        batch.targetPositions[0] = 2
        let scores = arena.matrix(rows: 1, columns: 3)   // all equal: the first candidate is chosen
        var tally = ImageGameTally()
        tally.add(scores: scores, batch: batch) { _ in 0 }
        XCTAssertEqual(tally.rate, 0)
        XCTAssertEqual(tally.top5Rate, 1)
    }

    /// Relaxed messages through the folded input table give the listener the
    /// scores, parameter gradients and message gradients of the per-game
    /// products (up to the order of sums), with embedded and one-hot symbols.
    func testFoldedRelaxedInputsMatchThePerGameProducts() throws {
        let game = try makeGame(candidates: 6, scene: 6)
        for kind in [SymbolInputKind.embedding, .oneHot] {
            let settings = AgentSettings(vocabulary: 5, messageLength: 3, variableLength: true, symbolInput: kind, hidden: 6,
                                         channel: .gumbel, listenerLoss: .hinge)
            let encoder = try game.makeVisualEncoder(hidden: 6, optimizer: settings.optimizer, random: Random(seed: 4))
            let speaker = Speaker(settings: settings, encoder: encoder, capacity: 6, random: Random(seed: 5))
            let arena = Arena()
            let batch = GameBatch(size: 6, candidates: 6, arena: arena)
            let scene = arena.indices(6)
            var random = Random(seed: 8)
            game.drawScene(step: 0, rank: 0, into: scene)
            encoder.select(scene)
            game.sample(into: batch, random: &random)
            encoder.forward()
            speaker.speak(targets: batch.targets, random: &random, greedy: false)
            var results: [(scores: [Float], parameters: [Float], message: [Float])] = []
            for folds in [true, false] {
                let listener = Listener(settings: settings, encoder: encoder, capacity: 6, candidates: 6, random: Random(seed: 6),
                                        shortcuts: AgentShortcuts(foldsRelaxedInputs: folds))
                var unused = Random(seed: 0)
                listener.listen(to: speaker.message, batch: batch, random: &unused, greedy: true)
                speaker.message.zeroGradients()
                listener.module.parameters.zeroGradients()
                _ = listener.backwardHinge(scale: 1)
                encoder.tableGradient.zero()
                let scores = (0..<6).flatMap { b in (0..<6).map { listener.lastScores[b, $0] } }
                let message = (0..<3).flatMap { t in (0..<6).flatMap { b in (0..<5).map { speaker.message.gradients[t][b, $0] } } }
                results.append((scores, Array(listener.module.parameters.gradientBuffer), message))
            }
            XCTAssertTrue(results[1].message.contains { $0 != 0 }, "the per-game pass has a message gradient")
            for (label, folded, perGame) in [("scores", results[0].scores, results[1].scores),
                                             ("parameter gradients", results[0].parameters, results[1].parameters),
                                             ("message gradients", results[0].message, results[1].message)] {
                XCTAssertEqual(folded.count, perGame.count)
                for i in folded.indices {
                    XCTAssertEqual(folded[i], perGame[i], accuracy: 1e-5 * max(1, abs(perGame[i])), "\(kind) \(label) \(i)")
                }
            }
            withExtendedLifetime(arena) {}
        }
    }

    /// The hinge loss of Mihai & Hare's batch, by hand: 128 games, each
    /// target scored 2 on the diagonal and its 127 in-batch distractors
    /// 0, 0.5, 1, 1.5 by their offset (k − b) mod 4. Only the 32 distractors
    /// at 1.5 pass the margin, each by 0.5: 16 per game.
    func testHingeLossOver127InBatchDistractorsByHand() {
        let arena = Arena()
        let n = 128
        let scores = arena.matrix(rows: n, columns: n), gradient = arena.matrix(rows: n, columns: n)
        let targets = arena.indices(n)
        for b in 0..<n {
            targets[b] = b
            for k in 0..<n { scores[b, k] = k == b ? 2 : Float((k - b + n) % 4) * 0.5 }
        }
        XCTAssertEqual(HingeLoss.forward(scores: scores, targets: targets), 16, accuracy: 1e-4)
        HingeLoss.backward(scores: scores, targets: targets, scoreGradient: gradient)
        for b in [0, 77, 127] {
            XCTAssertEqual(gradient[b, b], -32 / Float(n), accuracy: 1e-7, "the target, pulled by 32 active margins")
            for k in 0..<n where k != b {
                XCTAssertEqual(gradient[b, k], (k - b + n) % 4 == 3 ? 1 / Float(n) : 0, accuracy: 1e-7, "distractor \(k) of game \(b)")
            }
        }
    }

    /// A diverged model's NaN scores never count as won games.
    func testNaNScoresLoseTheGame() {
        let arena = Arena()
        let batch = GameBatch(size: 2, candidates: 3, arena: arena)
        for b in 0..<2 {
            for k in 0..<3 { batch.candidates[b * 3 + k] = k }
            batch.targets[b] = b
            batch.targetPositions[b] = b
        }
        let scores = arena.matrix(rows: 2, columns: 3)
        for k in 0..<3 { scores[0, k] = .nan }          // game 0: nothing scored
        scores[1, 0] = .nan; scores[1, 1] = 2; scores[1, 2] = 1   // game 1: the target best among numbers
        var tally = ImageGameTally()
        tally.add(scores: scores, batch: batch) { _ in 0 }
        XCTAssertEqual(tally.rate, 0.5, "game 0 is lost, game 1 won")
        XCTAssertEqual(tally.classRank, (2.0 + 2.0) / 2, "every candidate shares the class: mean rank 2 of 3")
    }

    /// The hinge loss over a scene's candidates, with the speaker's message
    /// held fixed, against central differences in every listener parameter
    /// and in the encoder's trainable map.
    func testHingeGradientsReachTheListenerAndTheEncoder() throws {
        let game = try makeGame(candidates: 6, scene: 6)
        let settings = AgentSettings(vocabulary: 5, messageLength: 3, variableLength: true, hidden: 6, channel: .gumbel,
                                     listenerLoss: .hinge)
        let encoder = try game.makeVisualEncoder(hidden: 6, optimizer: settings.optimizer, random: Random(seed: 4))
        let speaker = Speaker(settings: settings, encoder: encoder, capacity: 6, random: Random(seed: 5))
        let listener = Listener(settings: settings, encoder: encoder, capacity: 6, candidates: 6, random: Random(seed: 6))
        let arena = Arena()
        let batch = GameBatch(size: 6, candidates: 6, arena: arena)
        var random = Random(seed: 8)
        let scene = arena.indices(6)
        game.drawScene(step: 0, rank: 0, into: scene)
        encoder.select(scene)
        game.sample(into: batch, random: &random)
        encoder.forward()
        speaker.speak(targets: batch.targets, random: &random, greedy: false)
        func loss() -> Double {
            var unused = Random(seed: 0)
            encoder.forward()
            listener.listen(to: speaker.message, batch: batch, random: &unused, greedy: true)
            return Double(HingeLoss.forward(scores: listener.lastScores, targets: batch.targetPositions)) * 6
        }
        _ = loss()
        listener.module.parameters.zeroGradients()
        encoder.module.parameters.zeroGradients()
        let mean = GumbelChannel(loss: .hinge).listenerLearns(listener, counts: GameCounts(listener: 6, speaker: 1))
        XCTAssertEqual(Double(mean) * 6, loss(), accuracy: 1e-4, "the channel returns the mean hinge loss")
        encoder.backward()
        assertFiniteDifferences(values: listener.module.parameters.values, gradients: listener.module.parameters.gradients,
                                count: listener.module.parameters.count, label: "listener (hinge)", loss: loss)
        assertFiniteDifferences(values: encoder.module.parameters.values, gradients: encoder.module.parameters.gradients,
                                count: encoder.module.parameters.count, label: "encoder via listener (hinge)", loss: loss)
        XCTAssertTrue((0..<3).contains { t in (0..<6).contains { b in (0..<5).contains { speaker.message.gradients[t][b, $0] != 0 } } },
                      "the hinge loss reaches the message, for the speaker")
    }
}
