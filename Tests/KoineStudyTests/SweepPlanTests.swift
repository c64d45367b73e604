import Foundation
import KoineStudy
import KoineTestSupport
import XCTest

/// Seeds, grids and the runs they make; what a run directory holds; the index.
final class SweepPlanTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("plan")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func file(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try "game: {kind: attributes}\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testSeedLists() throws {
        XCTAssertEqual(try SeedList.parse("1-10"), Array(1...10))
        XCTAssertEqual(try SeedList.parse("1,3,5"), [1, 3, 5])
        XCTAssertEqual(try SeedList.parse("1-3,7,2"), [1, 2, 3, 7], "a seed given twice runs once")
        XCTAssertEqual(try SeedList.parse("0"), [0])
        for bad in ["", "a", "3-1", "1-", "-2", "1,,2", "1-2-3", "1.5"] {
            XCTAssertThrowsError(try SeedList.parse(bad), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("--seeds:"), "\(error)")
            }
        }
    }

    func testGridAxes() throws {
        XCTAssertEqual(try GridAxis.parse("agents.cell=lstm,gru"), GridAxis(key: "agents.cell", values: ["lstm", "gru"]))
        XCTAssertEqual(try GridAxis.parse("game.attributes=[8,4],[4,4]"),
                       GridAxis(key: "game.attributes", values: ["[8,4]", "[4,4]"]), "commas inside brackets stay in a value")
        XCTAssertEqual(try GridAxis.parse("seedless=1").values, ["1"])
        for bad in ["agents.cell", "=lstm", "agents.cell=", "agents.cell=lstm,", "a=[1,2", "a=lstm,lstm"] {
            XCTAssertThrowsError(try GridAxis.parse(bad), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("--grid"), "\(error)")
            }
        }
    }

    func testRunsAreEveryConfigTimesEveryCombinationTimesEverySeed() throws {
        let reset = try file("reset.yaml"), none = try file("no-reset.yaml")
        let runs = try SweepPlan.runs(configs: [none, reset], seeds: [1, 2], overrides: ["train.steps=300"],
                                      grid: [try GridAxis.parse("agents.cell=lstm,gru")])
        XCTAssertEqual(runs.count, 8)
        XCTAssertEqual(runs.map(\.name).prefix(4), [
            "no-reset,agents.cell=lstm,seed=1", "no-reset,agents.cell=lstm,seed=2",
            "no-reset,agents.cell=gru,seed=1", "no-reset,agents.cell=gru,seed=2",
        ])
        XCTAssertEqual(Set(runs.map(\.condition)).count, 4)
        XCTAssertEqual(runs[3].overrides, ["train.steps=300", "agents.cell=gru", "seed=2"])
        XCTAssertEqual(runs[3].config, none)
        XCTAssertEqual(runs[3].directory, runs[3].name)
        XCTAssertEqual(Set(runs.map(\.name)).count, runs.count, "every run has its own directory")

        let plain = try SweepPlan.runs(configs: [reset], seeds: [4], overrides: [], grid: [])
        XCTAssertEqual(plain.map(\.name), ["reset,seed=4"])
        XCTAssertEqual(plain[0].condition, "reset")
    }

    func testBadPlansAreNamed() throws {
        let reset = try file("reset.yaml")
        let other = directory.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let twin = other.appendingPathComponent("reset.yaml").path
        try "game: {}\n".write(toFile: twin, atomically: true, encoding: .utf8)
        let cases: [(configs: [String], overrides: [String], grid: [GridAxis], message: String)] = [
            ([directory.appendingPathComponent("missing.yaml").path], [], [], "no such file"),
            ([directory.path], [], [], "no such file"),
            ([reset, twin], [], [], "one name"),
            ([reset], ["train.steps"], [], "expected KEY=VALUE"),
            ([reset], [], [GridAxis(key: "seed", values: ["1"])], "seeds are --seeds"),
            ([reset], [], [GridAxis(key: "a", values: ["1"]), GridAxis(key: "a", values: ["2"])], "given twice"),
            ([], [], [], "at least one --config"),
        ]
        for (configs, overrides, grid, message) in cases {
            XCTAssertThrowsError(try SweepPlan.runs(configs: configs, seeds: [1], overrides: overrides, grid: grid)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) should say \(message)")
            }
        }
    }

    func testIndexRoundTripsAndGrowsButNeverChangesARun() throws {
        let reset = try file("reset.yaml")
        let two = try SweepPlan.runs(configs: [reset], seeds: [1, 2], overrides: [], grid: [])
        var index = SweepIndex(runs: two)
        index.runs[0].status = .done
        try index.save(to: directory.path)
        XCTAssertEqual(try SweepIndex.load(from: directory.path), index)
        XCTAssertNil(try SweepIndex.load(from: directory.appendingPathComponent("none").path))

        let grown = try index.merging(try SweepPlan.runs(configs: [reset], seeds: [1, 2, 3], overrides: [], grid: []))
        XCTAssertEqual(grown.runs.map(\.name), ["reset,seed=1", "reset,seed=2", "reset,seed=3"])
        XCTAssertEqual(grown.runs[0].status, .done, "a known run keeps its status")
        XCTAssertThrowsError(try index.merging(try SweepPlan.runs(configs: [reset], seeds: [1], overrides: ["train.steps=5"], grid: [])))
    }

    func testRunStates() throws {
        let run = directory.appendingPathComponent("run").path
        XCTAssertEqual(RunState.of(run), .fresh)
        try FileManager.default.createDirectory(atPath: run + "/checkpoints/step-00000100", withIntermediateDirectories: true)
        XCTAssertEqual(RunState.of(run), .fresh, "a checkpoint without COMPLETE is never resumed from")
        FileManager.default.createFile(atPath: run + "/checkpoints/step-00000100/COMPLETE", contents: Data())
        XCTAssertEqual(RunState.of(run), .resumable)
        FileManager.default.createFile(atPath: run + "/summary.json", contents: Data("{}".utf8))
        XCTAssertEqual(RunState.of(run), .finished)
    }
}
