import KoineTensor
import XCTest
@testable import KoineGame

final class GameSamplerTests: XCTestCase {
    func testCandidatesAreDistinctAndHoldTheTarget() {
        let arena = Arena()
        let sampler = GameSampler(targets: Array(0..<32), distractors: Array(0..<32), candidates: 5)
        let batch = GameBatch(size: 500, candidates: 5, arena: arena)
        var random = Random(seed: 4)
        for _ in 0..<4 {
            sampler.sample(into: batch, random: &random)
            for game in 0..<batch.size {
                let candidates = (0..<5).map { batch.candidates[game * 5 + $0] }
                XCTAssertEqual(Set(candidates).count, 5, "game \(game): \(candidates)")
                XCTAssertTrue(candidates.allSatisfy { (0..<32).contains($0) })
                let position = batch.targetPositions[game]
                XCTAssertTrue((0..<5).contains(position))
                XCTAssertEqual(candidates[position], batch.targets[game], "game \(game)")
            }
        }
    }

    func testTargetsAndDistractorsComeFromTheirPools() {
        let arena = Arena()
        let targets = [3, 7, 11], distractors = [0, 1, 2, 3, 7, 11, 20]
        let sampler = GameSampler(targets: targets, distractors: distractors, candidates: 4)
        let batch = GameBatch(size: 300, candidates: 4, arena: arena)
        var random = Random(seed: 9)
        sampler.sample(into: batch, random: &random)
        var targetsSeen = Set<Int>()
        for game in 0..<batch.size {
            XCTAssertTrue(targets.contains(batch.targets[game]))
            targetsSeen.insert(batch.targets[game])
            for j in 0..<4 {
                let c = batch.candidates[game * 4 + j]
                XCTAssertTrue(c == batch.targets[game] || distractors.contains(c), "\(c)")
            }
            XCTAssertEqual(Set((0..<4).map { batch.candidates[game * 4 + $0] }).count, 4)
        }
        XCTAssertEqual(targetsSeen, Set(targets))
    }

    func testTargetPositionIsRoughlyUniform() {
        let arena = Arena()
        let sampler = GameSampler(targets: Array(0..<32), distractors: Array(0..<32), candidates: 5)
        let batch = GameBatch(size: 1000, candidates: 5, arena: arena)
        var random = Random(seed: 11)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<10 {
            sampler.sample(into: batch, random: &random)
            for game in 0..<batch.size { counts[batch.targetPositions[game]] += 1 }
        }
        // 10,000 games: 2,000 expected per position, standard deviation 40.
        for (position, count) in counts.enumerated() {
            XCTAssertTrue((1800...2200).contains(count), "position \(position): \(count) of 10000 (\(counts))")
        }
    }

    func testFillPutsTheGivenTargetAndSameSeedSameGames() {
        let arena = Arena()
        let sampler = GameSampler(targets: Array(0..<16), distractors: Array(0..<16), candidates: 16)
        let batch = GameBatch(size: 3, candidates: 16, arena: arena)
        var random = Random(seed: 2)
        sampler.fill(game: 1, target: 9, batch: batch, random: &random)
        XCTAssertEqual(batch.targets[1], 9)
        // Every object is a candidate when candidates == objects.
        XCTAssertEqual(Set((0..<16).map { batch.candidates[16 + $0] }), Set(0..<16))
        XCTAssertEqual(batch.candidates[16 + batch.targetPositions[1]], 9)

        let other = GameBatch(size: 3, candidates: 16, arena: arena)
        var a = Random(seed: 5), b = Random(seed: 5)
        sampler.sample(into: batch, random: &a)
        sampler.sample(into: other, random: &b)
        XCTAssertEqual(batch.candidates.array, other.candidates.array)
        XCTAssertEqual(batch.targetPositions.array, other.targetPositions.array)
    }

    func testPrefixSharesTheFirstGames() {
        let arena = Arena()
        let sampler = GameSampler(targets: Array(0..<32), distractors: Array(0..<32), candidates: 5)
        let batch = GameBatch(size: 10, candidates: 5, arena: arena)
        var random = Random(seed: 3)
        sampler.sample(into: batch, random: &random)
        let prefix = batch.prefix(4)
        XCTAssertEqual(prefix.size, 4)
        XCTAssertEqual(prefix.targets.array, Array(batch.targets.array[0..<4]))
        XCTAssertEqual(prefix.candidates.array, Array(batch.candidates.array[0..<20]))
        XCTAssertEqual(prefix.targetPositions.array, Array(batch.targetPositions.array[0..<4]))
    }
}
