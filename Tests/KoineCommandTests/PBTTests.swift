import Foundation
import KoineTestSupport
import XCTest

/// Population-based training under real `mpirun`: members (ranks) copy each
/// other's agents point to point, bit for bit, then continue apart; the
/// lineage is in metrics.jsonl; a run resumed across a round ends exactly as
/// an uninterrupted one.
final class PBTTests: XCTestCase {
    static let config = """
        seed: 5
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 32, encoder: private}
        population: {listeners: 2, reset: {listeners: {mode: staggered, every: 120}}}
        train: {steps: 300, batch: 32, log_every: 100, checkpoint: {every: 50}}
        eval: {every: 50, ease_of_teaching: {every: 0}}
        pbt: {every: 100, learning_rate: {minimum: 0.0003, maximum: 0.01}, entropy: {minimum: 0.01, maximum: 0.3},
              reset_period: {minimum: 60, maximum: 400}}
        telemetry: {endpoint: none}
        """

    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("pbt")
        try PBTTests.config.write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func mpirun(_ ranks: Int, _ arguments: [String]) throws {
        let result = try runKoineUnderMPI(ranks, arguments, timeout: 240)
        XCTAssertFalse(result.timedOut)
        XCTAssertEqual(result.status, 0, "mpirun -np \(ranks) \(arguments) failed:\n\(result.standardError)")
    }

    func train(_ ranks: Int, _ run: String, steps: Int = 300) throws {
        try mpirun(ranks, ["train", "--config", path("config.yaml"), "--out", path(run), "--quiet", "--set", "train.steps=\(steps)"])
    }

    /// The `pbt` lines of a run's metrics.jsonl, by step, each round's in rank order.
    func rounds(_ run: String) throws -> [Int: [[String: Any]]] {
        let lines = try String(contentsOfFile: path(run) + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["kind"] as? String == "pbt" }
        return Dictionary(grouping: lines) { $0["step"] as? Int ?? -1 }
    }

    /// Four members, a quarter copies a quarter: at each round the worst member
    /// copies the best; right after, its whole state (parameters, optimizer
    /// state, baselines, births) is the source's bit for bit, its
    /// hyperparameters the source's perturbed within their bounds; by the
    /// next round the two have trained apart (each draws its own games).
    func testTheWorstMemberCopiesTheBestBitForBitThenBothContinueApart() throws {
        try train(4, "run")
        let rounds = try self.rounds("run")
        XCTAssertEqual(rounds.keys.sorted(), [100, 200, 300])
        for step in [100, 200, 300] {
            let members = try XCTUnwrap(rounds[step])
            XCTAssertEqual(members.map { $0["rank"] as? Int }, [0, 1, 2, 3])
            let fitness = members.map { $0["fitness"] as? Double ?? .nan }
            let copiers = members.indices.filter { members[$0]["action"] as? String == "copy" }
            XCTAssertEqual(copiers.count, 1, "one member in four copies at step \(step)")
            let copier = try XCTUnwrap(copiers.first), source = try XCTUnwrap(members[copier]["source"] as? Int)
            XCTAssertEqual(fitness[copier], fitness.min(), "the worst copies")
            XCTAssertEqual(fitness[source], fitness.max(), "the best is copied")
            XCTAssertEqual(members[copier]["source_fitness"] as? Double, fitness[source])
            let copied = members[copier], original = members[source]
            XCTAssertEqual(copied["state_after"] as? String, original["state_after"] as? String, "the copy is bit for bit, step \(step)")
            XCTAssertEqual(original["state_after"] as? String, original["state_before"] as? String, "the source is unchanged")
            XCTAssertEqual(copied["state_after"] as? String, original["state_before"] as? String)
            XCTAssertNotEqual(copied["state_before"] as? String, original["state_before"] as? String)
            // Explored: each copied value times 0.8 or 1.2, inside its bounds.
            let before = try XCTUnwrap(original["before"] as? [String: Double]), after = try XCTUnwrap(copied["after"] as? [String: Double])
            let bounds = ["learning_rate": 0.0003...0.01, "entropy": 0.01...0.3, "reset_period": 60.0...400]
            XCTAssertEqual(Set(after.keys), Set(bounds.keys))
            for (name, value) in after {
                let range = try XCTUnwrap(bounds[name]), source = try XCTUnwrap(before[name])
                let candidates = [source * 0.8, source * 1.2].map { name == "reset_period" ? $0.rounded() : $0 }
                    .map { min(max($0, range.lowerBound), range.upperBound) }
                // Up to the last digit JSON's text may move.
                XCTAssertTrue(candidates.contains { abs($0 - value) <= 1e-12 * $0 }, "\(name) \(value) from \(source) at step \(step)")
            }
            for member in members.indices where member != copier {
                XCTAssertEqual(members[member]["action"] as? String, "keep")
                XCTAssertEqual(members[member]["before"] as? [String: Double], members[member]["after"] as? [String: Double])
            }
            // The next round's states before it: the copier and its source trained apart.
            if let next = rounds[step + 100] {
                XCTAssertNotEqual(next[copier]["state_before"] as? String, next[source]["state_before"] as? String,
                                  "copier \(copier) and source \(source) continue differently after step \(step)")
            }
            // Every member's lexicon, as the round judged it: 16 objects, a speaker, 4 ranks.
            let lexicons = try String(contentsOfFile: path("run") + "/pbt/step-" + String(format: "%07d", step) + ".tsv", encoding: .utf8)
            XCTAssertEqual(lexicons.split(separator: "\n").count, 1 + 4 * 16)
        }
        // Members start from their own draws (pbt.initial sampled).
        let first = try XCTUnwrap(rounds[100]).compactMap { ($0["before"] as? [String: Double])?["learning_rate"] }
        XCTAssertEqual(Set(first).count, 4)
    }

    /// Binary tournaments: a member copies the member it drew when that one is
    /// strictly fitter, which may itself copy a fitter one in the same round.
    /// Sources send before they receive, so every copier gets its source's
    /// state from before the round, bit for bit, and no send waits forever.
    func testTournamentCopiesReceiveTheirSourcesStateFromBeforeTheRound() throws {
        try mpirun(4, ["train", "--config", path("config.yaml"), "--out", path("tournament"), "--quiet", "--set", "pbt.exploit=tournament",
                       "--set", "pbt.every=50", "--set", "pbt.explore=resample"])
        let rounds = try self.rounds("tournament")
        XCTAssertEqual(rounds.keys.sorted(), [50, 100, 150, 200, 250, 300])
        var copies = 0, chains = 0
        for (step, members) in rounds {
            let fitness = members.map { $0["fitness"] as? Double ?? .nan }
            for (member, line) in members.enumerated() {
                guard let source = line["source"] as? Int else {
                    XCTAssertEqual(line["state_after"] as? String, line["state_before"] as? String, "member \(member) kept, step \(step)")
                    continue
                }
                copies += 1
                if members[source]["source"] as? Int != nil { chains += 1 }
                XCTAssertGreaterThan(fitness[source], fitness[member], "member \(member) copied a fitter one, step \(step)")
                XCTAssertEqual(line["state_after"] as? String, members[source]["state_before"] as? String,
                               "member \(member) holds member \(source)'s state from before step \(step)'s round")
                for (name, value) in try XCTUnwrap(line["after"] as? [String: Double]) {
                    let range = ["learning_rate": 0.0003...0.01, "entropy": 0.01...0.3, "reset_period": 60.0...400][name]!
                    XCTAssertTrue(range.contains(value), "\(name) \(value) out of bounds, step \(step)")
                }
            }
        }
        XCTAssertGreaterThan(copies, 0)
        XCTAssertGreaterThan(chains, 0, "some member copied one that copied too (seed 5 has chains at steps 100, 200 and 300)")
    }

    /// Each member sends its own `pbt` event per round to the collector `koine
    /// launch` starts: stored with the member's rank, no gaps in its sequence.
    func testEveryMemberSendsItsRoundsAsTelemetry() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else { throw XCTSkip("no sqlite3") }
        let runs = directory.appendingPathComponent("runs")
        let launched = try runKoine(["launch", "--np", "2", "--config", path("config.yaml"), "--out", runs.appendingPathComponent("sent").path,
                                     "--telemetry", "tcp://127.0.0.1:\(freePort())", "--", "--quiet"], timeout: 180)
        XCTAssertEqual(launched.status, 0, launched.standardError)
        let database = runs.appendingPathComponent("telemetry.sqlite").path
        let query = try runProcess("/usr/bin/sqlite3", [database,
                                                    "SELECT rank, step, json_extract(body, '$.action') FROM events WHERE kind = 'pbt' ORDER BY rank, step"],
                                   timeout: 60)
        XCTAssertEqual(query.status, 0, query.standardError)
        let rows = query.standardOutput.split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
        XCTAssertEqual(rows.map { $0.prefix(2) }, [["0", "100"], ["0", "200"], ["0", "300"], ["1", "100"], ["1", "200"], ["1", "300"]].map { $0[...] })
        let lines = try rounds("runs/sent")
        for row in rows {
            let line = try XCTUnwrap(lines[Int(row[1])!]?[Int(row[0])!])
            XCTAssertEqual(row[2], line["action"] as? String, "the event says what metrics.jsonl says")
        }
        let report = try runKoine(["report", "--db", database, "--run", "sent", "--json"])
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.standardOutput.utf8)) as? [String: Any])
        let run = try XCTUnwrap((parsed["runs"] as? [[String: Any]])?.first)
        XCTAssertEqual(run["missing"] as? Int, 0)
        XCTAssertEqual(run["finished_ranks"] as? Int, 2)
    }

    /// One rank is one member, with nobody to copy: allowed, with a warning.
    func testOneRankTrainsWithAWarning() throws {
        let result = try runKoine(["train", "--config", path("config.yaml"), "--out", path("alone"), "--quiet",
                                   "--set", "train.steps=100"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardError.contains("koine: warning: pbt.every: a member is a rank, and this job has one"), result.standardError)
        XCTAssertEqual(try rounds("alone")[100]?.map { $0["action"] as? String }, ["keep"])
    }

    /// A fitness figure the run never measures is a mistake in the input:
    /// one line, exit code 2, no run directory.
    func testAnUnknownFitnessFigureExitsTwoBeforeAnythingIsWritten() throws {
        let result = try runKoine(["train", "--config", path("config.yaml"), "--out", path("never"), "--quiet",
                                   "--set", "pbt.fitness=top_sim"], timeout: 60)
        XCTAssertEqual(result.status, 2, result.standardError)
        // One line, after the warning a one-rank job gets.
        XCTAssertEqual(result.standardError.split(separator: "\n").filter { !$0.hasPrefix("koine: warning: ") }.count, 1, result.standardError)
        XCTAssertTrue(result.standardError.contains("pbt.fitness") && result.standardError.contains("top_sim"), result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("never")))
    }

    /// Checkpointed in between rounds (150) and right after one (200), then
    /// extended to the whole length: the same summary and metrics, the same
    /// rounds, as the run that never stopped.
    func testAResumedRunCrossesRoundsExactlyAsAnUninterruptedOne() throws {
        try train(2, "whole")
        XCTAssertEqual(try rounds("whole").keys.sorted(), [100, 200, 300])
        for stop in [150, 200] {
            let run = "stopped-\(stop)"
            try train(2, run, steps: stop)
            try mpirun(2, ["train", "--resume", path(run), "--quiet", "--set", "train.steps=300"])
            XCTAssertEqual(try RunFiles.figures(path(run)), try RunFiles.figures(path("whole")), "summary, stopped at \(stop)")
            XCTAssertEqual(try RunFiles.deterministicMetrics(path(run)), try RunFiles.deterministicMetrics(path("whole")),
                           "metrics.jsonl, stopped at \(stop)")
        }
    }
}
