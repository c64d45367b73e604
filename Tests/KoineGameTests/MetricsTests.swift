import KoineTensor
import XCTest
@testable import KoineGame

final class LevenshteinTests: XCTestCase {
    func testSmallCasesWorkedOutByHand() {
        XCTAssertEqual(Levenshtein.distance([], []), 0)
        XCTAssertEqual(Levenshtein.distance([1, 2, 3], []), 3)
        XCTAssertEqual(Levenshtein.distance([], [4, 4]), 2)
        XCTAssertEqual(Levenshtein.distance([1, 2], [1, 2]), 0)
        XCTAssertEqual(Levenshtein.distance([1, 2], [1, 3]), 1)         // one substitution
        XCTAssertEqual(Levenshtein.distance([1, 2], [2, 1]), 2)         // two substitutions (no transpositions)
        XCTAssertEqual(Levenshtein.distance([0, 1, 2], [0, 2]), 1)      // one deletion
        XCTAssertEqual(Levenshtein.distance([0, 2], [0, 1, 2]), 1)      // one insertion
        XCTAssertEqual(Levenshtein.distance([1, 2, 3, 4], [2, 3, 4, 5]), 2) // delete the 1, append the 5
        // kitten → sitting: k→s, e→i, insert g.
        let kitten = Array("kitten".unicodeScalars.map { Int($0.value) })
        let sitting = Array("sitting".unicodeScalars.map { Int($0.value) })
        XCTAssertEqual(Levenshtein.distance(kitten, sitting), 3)
        XCTAssertEqual(Levenshtein.distance(sitting, kitten), 3)
        // flaw → lawn: delete f, insert n.
        XCTAssertEqual(Levenshtein.distance([6, 12, 1, 23], [12, 1, 23, 14]), 2)
    }
}

final class SpearmanTests: XCTestCase {
    func testRanksAverageTies() {
        XCTAssertEqual(Spearman.ranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])
        XCTAssertEqual(Spearman.ranks([3, 1, 2]), [3, 1, 2])
        XCTAssertEqual(Spearman.ranks([5, 5, 5]), [2, 2, 2])
        XCTAssertEqual(Spearman.ranks([2, 1, 2, 1, 3]), [3.5, 1.5, 3.5, 1.5, 5])
        XCTAssertEqual(Spearman.ranks([]), [])
    }

    func testCorrelationWorkedOutByHand() {
        XCTAssertEqual(Spearman.correlation([1, 2, 3], [10, 100, 1000]), 1, accuracy: 1e-12)   // monotonic, not linear
        XCTAssertEqual(Spearman.correlation([1, 2, 3], [9, 4, 1]), -1, accuracy: 1e-12)
        // y = [5, 6, 7, 8, 7] ranks as [1, 2, 3.5, 5, 3.5]; against ranks [1..5]:
        // dx = [-2,-1,0,1,2], dy = [-2,-1,.5,2,.5]: sxy = 8, sxx = 10, syy = 9.5.
        XCTAssertEqual(Spearman.correlation([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 8 / (10 * 9.5).squareRoot(), accuracy: 1e-12)
        // Ranks [1, 2, 3, 4] against [2, 1, 4, 3]: d² sums to 4, ρ = 1 − 6·4/(4·15) = 0.6.
        XCTAssertEqual(Spearman.correlation([1, 2, 3, 4], [20, 10, 40, 30]), 0.6, accuracy: 1e-12)
    }

    func testConstantSideGivesZero() {
        XCTAssertEqual(Spearman.pearson([1, 1, 1], [1, 2, 3]), 0)
        XCTAssertEqual(Spearman.pearson([1, 2, 3], [4, 4, 4]), 0)
        XCTAssertEqual(Spearman.correlation([2, 2, 2, 2], [1, 5, 2, 3]), 0)
        XCTAssertEqual(Spearman.pearson([1], [2]), 0)
        XCTAssertEqual(Spearman.pearson([], []), 0)
    }

    func testPearsonByHand() {
        // x = [1, 2, 3], y = [1, 3, 2]: sxy = 1, sxx = syy = 2 → 0.5.
        XCTAssertEqual(Spearman.pearson([1, 2, 3], [1, 3, 2]), 0.5, accuracy: 1e-12)
        XCTAssertEqual(Spearman.pearson([1, 2, 3], [2, 4, 6]), 1, accuracy: 1e-12)
    }
}

final class LexiconTests: XCTestCase {
    func testEntropyAndSizeOnKnownCases() {
        // Two objects share a message: p = (1/2, 1/4, 1/4) → 1.5 bits.
        let shared = Lexicon(messages: [[0, 1], [0, 1], [1, 1], [2, 0]])
        XCTAssertEqual(shared.size, 3)
        XCTAssertEqual(shared.entropy, 1.5, accuracy: 1e-12)
        let distinct = Lexicon(messages: [[0], [1], [2], [3]])
        XCTAssertEqual(distinct.size, 4)
        XCTAssertEqual(distinct.entropy, 2, accuracy: 1e-12)
        let single = Lexicon(messages: [[3, 3], [3, 3], [3, 3]])
        XCTAssertEqual(single.size, 1)
        XCTAssertEqual(single.entropy, 0)
        // 8 objects, 3 messages used 4, 2, 2 times: 0.5·1 + 2·0.25·2 = 1.5 bits.
        let uneven = Lexicon(messages: [[0], [0], [0], [0], [1], [1], [2], [2]])
        XCTAssertEqual(uneven.entropy, 1.5, accuracy: 1e-12)
    }

    func testVariableLengthMessagesAreTrimmedAfterTheirEnd() {
        let lexicon = Lexicon(messages: [[1, 0, 2], [1, 0, 3], [2, 3, 0], [0, 5, 5]], endOfMessage: 0)
        XCTAssertEqual(lexicon.trimmed(0), [1, 0])
        XCTAssertEqual(lexicon.trimmed(1), [1, 0])
        XCTAssertEqual(lexicon.trimmed(2), [2, 3, 0])
        XCTAssertEqual(lexicon.trimmed(3), [0])
        XCTAssertEqual(lexicon.size, 3)
        XCTAssertEqual(lexicon.entropy, 1.5, accuracy: 1e-12)
        // Without an end symbol nothing is trimmed.
        XCTAssertEqual(Lexicon(messages: [[1, 0, 2], [1, 0, 3]]).size, 2)
    }

    func testInformation() {
        XCTAssertEqual(Information.entropy(counts: [1, 1]), 1, accuracy: 1e-12)
        XCTAssertEqual(Information.entropy(counts: [0, 0]), 0)
        XCTAssertEqual(Information.entropy(counts: [5]), 0)
        XCTAssertEqual(Information.entropy([0, 1, 2, 3, 0, 1, 2, 3]), 2, accuracy: 1e-12)
        XCTAssertEqual(Information.mutualInformation([0, 0, 1, 1], [5, 5, 7, 7]), 1, accuracy: 1e-12)
        XCTAssertEqual(Information.mutualInformation([0, 0, 1, 1], [0, 1, 0, 1]), 0, accuracy: 1e-12)
    }

    /// Entropies feed summary.json, which must be bit-identical run to run;
    /// callers pass dictionary values, whose order is not fixed.
    func testEntropyDoesNotDependOnTheOrderOfCounts() {
        let counts = [1, 3, 7, 2, 9, 4, 11, 5, 6, 13, 8, 1, 2]
        let reference = Information.entropy(counts: counts)
        var random = Random(seed: 3)
        for _ in 0..<50 {
            var shuffled = counts
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, random.nextInt(below: i + 1)) }
            XCTAssertEqual(Information.entropy(counts: shuffled).bitPattern, reference.bitPattern, "\(shuffled)")
        }
        // Many dictionaries built the same way give the same bits.
        let values = (0..<200).map { ($0 * 7919) % 23 }
        let first = Information.entropy(values)
        for _ in 0..<20 { XCTAssertEqual(Information.entropy(values).bitPattern, first.bitPattern) }
    }

    func testTSVHasOneLinePerObject() throws {
        let game = try AttributeGame(attributes: [2, 2], holdout: 0, candidates: 2, distance: .cosine, random: Random(seed: 1))
        let lexicon = Lexicon(messages: [[0, 2], [0, 3], [1, 2], [1, 3]])
        let lines = lexicon.tsv(prefix: "4\t", game: game).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, ["4\t0\t0,0\t0 2", "4\t1\t0,1\t0 3", "4\t2\t1,0\t1 2", "4\t3\t1,1\t1 3"])
    }
}

/// A lexicon built by hand, and the same messages given to objects in a shuffled order.
enum HandLexicons {
    /// Message = [value of attribute 0, value of attribute 1 + offset].
    static func compositional(_ space: ObjectSpace, shapeOffset: Int = 0) -> Lexicon {
        Lexicon(messages: (0..<space.count).map { id in [space.value(of: id, attribute: 0), space.value(of: id, attribute: 1) + shapeOffset] })
    }

    static func permuted(_ lexicon: Lexicon, seed: UInt64) -> Lexicon {
        var order = Array(lexicon.messages.indices)
        var random = Random(seed: seed)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.nextInt(below: i + 1)) }
        return Lexicon(messages: order.map { lexicon.messages[$0] }, endOfMessage: lexicon.endOfMessage)
    }
}

final class TopographicSimilarityTests: XCTestCase {
    func testCompositionalLexiconHasTopsimOne() throws {
        let space = try ObjectSpace(attributes: [8, 4], holdout: 0, random: Random(seed: 1))
        let lexicon = HandLexicons.compositional(space)
        XCTAssertEqual(TopographicSimilarity.measure(lexicon: lexicon, space: space, distance: .cosine), 1, accuracy: 1e-9)
        XCTAssertEqual(TopographicSimilarity.measure(lexicon: lexicon, space: space, distance: .hamming), 1, accuracy: 1e-9)
        // Disjoint symbols for the two attributes change nothing.
        let disjoint = HandLexicons.compositional(space, shapeOffset: 8)
        XCTAssertEqual(TopographicSimilarity.measure(lexicon: disjoint, space: space, distance: .cosine), 1, accuracy: 1e-9)
    }

    /// Li & Bowling's definition: 1 for a compositional lexicon as well; for
    /// random one-to-one lexicons about 0 under Koine's and about 0.14 under
    /// theirs (their n self-pairs, distance 0 on both sides, add agreement).
    func testLiBowlingDefinitionOverOrderedPairsWithSelfPairs() throws {
        let space = try ObjectSpace(attributes: [8, 4], holdout: 0, random: Random(seed: 1))
        let lexicon = HandLexicons.compositional(space)
        XCTAssertEqual(TopographicSimilarity.liBowling(lexicon: lexicon, space: space), 1, accuracy: 1e-9)
        var koine: [Double] = [], theirs: [Double] = []
        for seed in 1...20 as ClosedRange<UInt64> {
            let permuted = HandLexicons.permuted(lexicon, seed: seed)
            koine.append(TopographicSimilarity.measure(lexicon: permuted, space: space, distance: .cosine))
            theirs.append(TopographicSimilarity.liBowling(lexicon: permuted, space: space))
        }
        let meanKoine = koine.reduce(0, +) / 20, meanTheirs = theirs.reduce(0, +) / 20
        XCTAssertLessThan(abs(meanKoine), 0.05, "\(koine)")
        XCTAssertEqual(meanTheirs, 0.14, accuracy: 0.04, "\(theirs)")
        // Self-pairs only add agreement: theirs is above Koine's for every lexicon.
        for (a, b) in zip(koine, theirs) { XCTAssertGreaterThan(b, a) }
    }

    /// A case small enough to work by hand: objects (0,0), (0,1), (1,0), (1,1)
    /// with messages [0], [1], [2], [3]. Over the 4 × 4 ordered pairs, cosine
    /// distance is 0 (4 self-pairs, average rank 2.5), 0.5 (8 pairs, rank 8.5)
    /// or 1 (4 pairs, rank 14.5); Levenshtein distance 0 (the self-pairs, rank
    /// 2.5) or 1 (12 pairs, rank 10.5). The Pearson correlation of those ranks
    /// is √(2/3) ≈ 0.8165 (scipy.stats.spearmanr agrees). Over distinct pairs
    /// alone every message distance is 1, so Koine's topsim is 0.
    func testLiBowlingDefinitionByHand() throws {
        let space = try ObjectSpace(attributes: [2, 2], holdout: 0, random: Random(seed: 1))
        let lexicon = Lexicon(messages: [[0], [1], [2], [3]])
        XCTAssertEqual(TopographicSimilarity.liBowling(lexicon: lexicon, space: space), (2 / 3.0).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(TopographicSimilarity.measure(lexicon: lexicon, space: space, distance: .cosine), 0)
    }

    func testPermutedLexiconScoresLower() throws {
        let space = try ObjectSpace(attributes: [8, 4], holdout: 0, random: Random(seed: 1))
        let lexicon = HandLexicons.compositional(space)
        for seed in 1...5 as ClosedRange<UInt64> {
            let permuted = HandLexicons.permuted(lexicon, seed: seed)
            XCTAssertNotEqual(permuted, lexicon)
            for distance in MeaningDistance.allCases {
                let topsim = TopographicSimilarity.measure(lexicon: permuted, space: space, distance: distance)
                XCTAssertLessThan(topsim, 0.5, "seed \(seed), \(distance)")
                XCTAssertGreaterThan(topsim, -0.5, "seed \(seed), \(distance)")
            }
        }
    }

    func testSmallCaseByHand() throws {
        // [2, 2]: objects (0,0) (0,1) (1,0) (1,1). Messages [0], [0], [1], [1]
        // only name the first attribute. Pairs in order (0,1) (0,2) (0,3) (1,2) (1,3) (2,3):
        // hamming meaning [1, 1, 2, 2, 1, 1], message distance [0, 1, 1, 1, 1, 0].
        let space = try ObjectSpace(attributes: [2, 2], holdout: 0, random: Random(seed: 1))
        let lexicon = Lexicon(messages: [[0], [0], [1], [1]])
        let expected = Spearman.correlation([1, 1, 2, 2, 1, 1], [0, 1, 1, 1, 1, 0])
        // Ranks: meaning [2.5, 2.5, 5.5, 5.5, 2.5, 2.5], form [1.5, 4.5, 4.5, 4.5, 4.5, 1.5].
        // dx = [-1, -1, 2, 2, -1, -1], dy = [-2, 1, 1, 1, 1, -2]; sxy = 6, sxx = 12, syy = 12 → 0.5.
        XCTAssertEqual(expected, 0.5, accuracy: 1e-12)
        XCTAssertEqual(TopographicSimilarity.measure(lexicon: lexicon, space: space, distance: .hamming), 0.5, accuracy: 1e-12)
        XCTAssertEqual(TopographicSimilarity.measure(lexicon: lexicon, space: space, distance: .cosine), 0.5, accuracy: 1e-12)
    }

    func testObjectsSubset() throws {
        let space = try ObjectSpace(attributes: [4, 4], holdout: 0, random: Random(seed: 1))
        var lexicon = HandLexicons.compositional(space)
        // Spoil one object's message; measured without it the lexicon is perfect again.
        lexicon.messages[5] = [3, 3]
        XCTAssertLessThan(TopographicSimilarity.measure(lexicon: lexicon, space: space, distance: .hamming), 1 - 1e-6)
        let others = (0..<16).filter { $0 != 5 }
        XCTAssertEqual(TopographicSimilarity.measure(lexicon: lexicon, space: space, objects: others, distance: .hamming), 1, accuracy: 1e-9)
    }
}

final class DisentanglementTests: XCTestCase {
    func testCompositionalLexiconHasPosdisOne() throws {
        let space = try ObjectSpace(attributes: [8, 4], holdout: 0, random: Random(seed: 1))
        let lexicon = HandLexicons.compositional(space)
        XCTAssertEqual(Disentanglement.positional(lexicon: lexicon, space: space), 1, accuracy: 1e-9)
        // Attribute order does not matter: [shape, colour] is just as disentangled.
        let swapped = Lexicon(messages: lexicon.messages.map { [$0[1], $0[0]] })
        XCTAssertEqual(Disentanglement.positional(lexicon: swapped, space: space), 1, accuracy: 1e-9)
    }

    func testPermutedLexiconHasLowerPosdisAndBosdis() throws {
        let space = try ObjectSpace(attributes: [8, 4], holdout: 0, random: Random(seed: 1))
        let lexicon = HandLexicons.compositional(space, shapeOffset: 8)
        XCTAssertEqual(Disentanglement.bagOfSymbols(lexicon: lexicon, space: space, vocabulary: 12), 1, accuracy: 1e-9)
        for seed in 1...5 as ClosedRange<UInt64> {
            let permuted = HandLexicons.permuted(lexicon, seed: seed)
            XCTAssertLessThan(Disentanglement.positional(lexicon: permuted, space: space), 0.5, "seed \(seed)")
            XCTAssertLessThan(Disentanglement.bagOfSymbols(lexicon: permuted, space: space, vocabulary: 12), 0.5, "seed \(seed)")
        }
    }

    /// [2, 2], vocabulary 3: (c, s) → [c, 2s]. Messages [0,0] [0,2] [1,0] [1,2].
    /// Positions: position 0 is c (gap 1), position 1 is s (gap 1): posdis 1.
    /// Symbol 0 counts [2, 1, 1, 0]: H = 1.5, I(c) = I(s) = 0.5, gap 0.
    /// Symbol 1 counts [0, 0, 1, 1] = c: gap 1. Symbol 2 counts [0, 1, 0, 1] = s: gap 1.
    /// bosdis = (0 + 1 + 1) / 3.
    func testBosdisWorkedOutByHand() throws {
        let space = try ObjectSpace(attributes: [2, 2], holdout: 0, random: Random(seed: 1))
        let lexicon = Lexicon(messages: [[0, 0], [0, 2], [1, 0], [1, 2]])
        XCTAssertEqual(Disentanglement.positional(lexicon: lexicon, space: space), 1, accuracy: 1e-12)
        XCTAssertEqual(Disentanglement.bagOfSymbols(lexicon: lexicon, space: space, vocabulary: 3), 2.0 / 3, accuracy: 1e-12)

        // Binary [c, s] with shared symbols: positionally perfect, but the
        // counts of 0 and of 1 ([2,1,1,0] and [0,1,1,2]) say as much about c as about s.
        let binary = Lexicon(messages: [[0, 0], [0, 1], [1, 0], [1, 1]])
        XCTAssertEqual(Disentanglement.positional(lexicon: binary, space: space), 1, accuracy: 1e-12)
        XCTAssertEqual(Disentanglement.bagOfSymbols(lexicon: binary, space: space, vocabulary: 2), 0, accuracy: 1e-12)

        // Disjoint symbols [c, 2 + s]: each symbol's count is one attribute: bosdis 1.
        let disjoint = Lexicon(messages: [[0, 2], [0, 3], [1, 2], [1, 3]])
        XCTAssertEqual(Disentanglement.bagOfSymbols(lexicon: disjoint, space: space, vocabulary: 4), 1, accuracy: 1e-12)
        // An unused symbol has zero entropy and counts as 0: (1+1+1+1+0)/5.
        XCTAssertEqual(Disentanglement.bagOfSymbols(lexicon: disjoint, space: space, vocabulary: 5), 0.8, accuracy: 1e-12)
    }

    /// Positions with no information count as 0; an XOR position has no
    /// information about either attribute alone.
    func testPosdisWorkedOutByHand() throws {
        let space = try ObjectSpace(attributes: [2, 2], holdout: 0, random: Random(seed: 1))
        let constantSecond = Lexicon(messages: [[0, 0], [0, 0], [1, 0], [1, 0]])
        XCTAssertEqual(Disentanglement.positional(lexicon: constantSecond, space: space), 0.5, accuracy: 1e-12)
        let xor = Lexicon(messages: [[0, 0], [1, 0], [1, 1], [0, 1]])   // [c xor s, c]
        XCTAssertEqual(Disentanglement.positional(lexicon: xor, space: space), 0.5, accuracy: 1e-12)
        // [2, 4]: position 0 = s / 2 carries 1 bit of s and none of c: gap 1/1.
        // Position 1 = c: gap 1. posdis 1 even though the message is ambiguous.
        let space24 = try ObjectSpace(attributes: [2, 4], holdout: 0, random: Random(seed: 1))
        let coarse = Lexicon(messages: (0..<8).map { [space24.value(of: $0, attribute: 1) / 2, space24.value(of: $0, attribute: 0)] })
        XCTAssertEqual(Disentanglement.positional(lexicon: coarse, space: space24), 1, accuracy: 1e-12)
    }

    func testVariableLengthBosdisSkipsTheEndSymbol() throws {
        let space = try ObjectSpace(attributes: [2, 2], holdout: 0, random: Random(seed: 1))
        // End symbol 0 after the two content symbols; symbols 1..4 are [1 + c, 3 + s].
        let lexicon = Lexicon(messages: [[1, 3, 0], [1, 4, 0], [2, 3, 0], [2, 4, 0]], endOfMessage: 0)
        XCTAssertEqual(Disentanglement.bagOfSymbols(lexicon: lexicon, space: space, vocabulary: 5), 1, accuracy: 1e-12)
    }

    func testOneAttributeGivesZero() throws {
        let space = try ObjectSpace(attributes: [4], holdout: 0, random: Random(seed: 1))
        let lexicon = Lexicon(messages: [[0], [1], [2], [3]])
        XCTAssertEqual(Disentanglement.positional(lexicon: lexicon, space: space), 0)
        XCTAssertEqual(Disentanglement.bagOfSymbols(lexicon: lexicon, space: space, vocabulary: 4), 0)
    }
}
