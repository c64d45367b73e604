import XCTest
@testable import KoineTensor

/// Categorical's narrow rows run eight at a time, one a lane (`RowGroup`):
/// every figure must be the one-row loop's bit for bit, sampled and greedy,
/// with masked (−∞) logits, ties, rows left over past the last group, rows that
/// diverged (a NaN, +∞, every logit masked), views with a wider stride, and the
/// random generator left where the one-row loop leaves it.
final class CategoricalRowGroupTests: XCTestCase {
    func testEightRowsAtOnceAgreeWithOneRowAtATime() {
        for width in [1, 2, 5, 8, 13, 16] {
            for rows in [8, 21] {
                for greedy in [false, true] { compare(rows: rows, width: width, greedy: greedy) }
            }
        }
    }

    func compare(rows: Int, width: Int, greedy: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let arena = Arena()
        // A view of the first `width` columns of a wider matrix: rows `width + 3` apart.
        let logits = arena.matrix(rows: rows, columns: width + 3).columns(0..<width)
        var random = Random(seed: UInt64(100 * width + rows))
        for r in 0..<rows {
            for j in 0..<width { logits[r, j] = random.nextFloat() * 12 - 6 }
            if width > 2 && r % 3 == 0 { logits[r, 1] = -.infinity }          // masked
            if width > 3 && r % 4 == 1 { logits[r, 3] = logits[r, 0] }         // a tie for the greedy choice
            if r % 5 == 2 { logits[r, width - 1] = 60 }                        // one action all but certain
            if width > 1 && r % 6 == 5 { logits[r, 0] = -.infinity }          // the first column masked
        }
        // Rows that diverged, in the second group when there is one.
        if rows > 12 {
            logits[9, 0] = .nan
            for j in 0..<width { logits[10, j] = -.infinity }
            logits[11, width - 1] = .infinity
        }
        // Once over the whole matrix (groups of eight, then the rows left), once row by row.
        let whole = run(logits, arena: arena, greedy: greedy, oneRowAtATime: false)
        let single = run(logits, arena: arena, greedy: greedy, oneRowAtATime: true)
        XCTAssertEqual(whole.nextDraw, single.nextDraw, "width \(width): the generator drawn as often", file: file, line: line)
        for r in 0..<rows {
            XCTAssertEqual(whole.actions[r], single.actions[r], "width \(width) row \(r) action", file: file, line: line)
            XCTAssertEqual(whole.chosen[r].bitPattern, single.chosen[r].bitPattern, "width \(width) row \(r) log p", file: file, line: line)
            XCTAssertEqual(whole.entropies[r].bitPattern, single.entropies[r].bitPattern, "width \(width) row \(r) entropy", file: file, line: line)
            for j in 0..<width {
                XCTAssertEqual(whole.logProbabilities[r * width + j].bitPattern, single.logProbabilities[r * width + j].bitPattern,
                               "width \(width) row \(r) log-softmax \(j)", file: file, line: line)
                for accumulate in [0, 1] {
                    XCTAssertEqual(whole.gradients[accumulate][r * width + j].bitPattern,
                                   single.gradients[accumulate][r * width + j].bitPattern,
                                   "width \(width) row \(r) gradient \(j), accumulating \(accumulate)", file: file, line: line)
                }
            }
        }
        if !greedy && width > 1 {
            XCTAssertGreaterThan(Set(whole.actions).count, 1, "width \(width): the sampler drew more than one action")
        }
    }

    struct Outcome {
        var actions: [Int] = [], chosen: [Float] = [], entropies: [Float] = [], logProbabilities: [Float] = []
        var gradients: [[Float]] = []
        var nextDraw: UInt64 = 0
    }

    func run(_ logits: Matrix, arena: Arena, greedy: Bool, oneRowAtATime: Bool) -> Outcome {
        let rows = logits.rows, width = logits.columns
        let logProbabilities = arena.matrix(rows: rows, columns: width)
        let actions = arena.indices(rows), chosen = arena.floats(rows), entropies = arena.floats(rows)
        let gLog = arena.floats(rows), gEntropy = arena.floats(rows)
        for r in 0..<rows { gLog[r] = Float(r % 7) * 0.3 - 0.9; gEntropy[r] = -0.1 * Float(r % 3) }
        var random = Random(seed: 42)
        let groups = oneRowAtATime ? (0..<rows).map { $0..<($0 + 1) } : [0..<rows]
        for range in groups {
            Categorical.sample(logits: logits.rows(range), logProbabilities: logProbabilities.rows(range),
                               actions: actions.slice(range), chosenLogProbabilities: chosen + range.lowerBound,
                               entropies: entropies + range.lowerBound, random: &random, greedy: greedy)
        }
        var outcome = Outcome()
        outcome.nextDraw = random.next()
        outcome.actions = (0..<rows).map { actions[$0] }
        outcome.chosen = (0..<rows).map { chosen[$0] }
        outcome.entropies = (0..<rows).map { entropies[$0] }
        outcome.logProbabilities = (0..<rows).flatMap { r in (0..<width).map { logProbabilities[r, $0] } }
        for accumulate in [false, true] {
            let gradient = arena.matrix(rows: rows, columns: width + 1).columns(0..<width)
            for r in 0..<rows { for j in 0..<width { gradient[r, j] = Float(j) * 0.25 - Float(r) * 0.01 } }
            for range in groups {
                Categorical.backward(logProbabilities: logProbabilities.rows(range), actions: actions.slice(range),
                                     entropies: entropies + range.lowerBound, logProbabilityGradient: gLog + range.lowerBound,
                                     entropyGradient: gEntropy + range.lowerBound, logitGradient: gradient.rows(range),
                                     accumulate: accumulate)
            }
            outcome.gradients.append((0..<rows).flatMap { r in (0..<width).map { gradient[r, $0] } })
        }
        return outcome
    }
}
