import Foundation
import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// The collector's TensorBoard files, read back by TensorBoard's own reader
/// (`EventAccumulator`), installed from PyPI into a virtual environment.
final class TensorBoardTests: XCTestCase {
    /// A virtual environment with tensorboard, made once per machine (pip retried once).
    static func python() throws -> String {
        let venv = FileManager.default.temporaryDirectory.appendingPathComponent("koine-tensorboard-venv").path
        let python = venv + "/bin/python"
        if FileManager.default.isExecutableFile(atPath: python),
           try runProcess(python, ["-c", "import tensorboard"], timeout: 120).status == 0 { return python }
        let made = try runProcess("/usr/bin/env", ["python3", "-m", "venv", venv], timeout: 300)
        XCTAssertEqual(made.status, 0, made.standardError)
        var installed = try runProcess(python, ["-m", "pip", "install", "-q", "tensorboard"], timeout: 900)
        if installed.status != 0 { installed = try runProcess(python, ["-m", "pip", "install", "-q", "tensorboard"], timeout: 900) }
        guard installed.status == 0 else { throw XCTSkip("cannot install tensorboard from PyPI: \(installed.standardError.suffix(300))") }
        return python
    }

    func testTensorBoardReadsTheCollectorsFiles() throws {
        let endpoint = "inproc://koine-tensorboard-test"
        let directory = try makeTemporaryDirectory("tensorboard")
        let collector = try Collector(bind: endpoint, database: try temporaryDatabase("tensorboard"), tensorBoard: directory.path)
        collector.startInBackground()
        let publisher = try ZeroMQPublisher(endpoint: endpoint, run: "run/one", rank: 1)
        publisher.emit(.runStarted, step: 0, fields: [("config", ["train": ["steps": 30]]), ("world_size", 2)])
        for step in [10, 20, 30] {
            publisher.emit(.step, step: step, fields: [("accuracy", .double(Double(step) / 40)), ("loss", 0.5), ("resets", 1)])
        }
        publisher.emit(.reset, step: 15, fields: [("role", "listener"), ("agent", 0)])
        publisher.emit(.eval, step: 30, fields: [("accuracy", 0.875), ("topsim", 0.25)])
        publisher.emit(.easeOfTeaching, step: 30, fields: [("curve", [0.5, 0.75]), ("area", 0.625)])
        publisher.emit(.allreduce, step: 30, fields: [("bytes", 4800), ("seconds", 0.125), ("steps", 10)])
        publisher.emit(.pbt, step: 30, fields: [("fitness", 0.75), ("action", "copy"), ("source", 0), ("source_fitness", 0.875),
                                                ("before", ["learning_rate": 0.001]), ("after", ["learning_rate": 0.0012]),
                                                ("state_before", "00ab"), ("state_after", "00cd")])
        publisher.emit(.runFinished, step: 30, fields: [("summary", ["accuracy": 0.875])])
        publisher.close()
        XCTAssertTrue(waitUntil(timeout: 20) { collector.currentStatistics.stored == 10 })
        collector.stop()

        let runDirectory = directory.appendingPathComponent("run_one/rank1").path
        let script = """
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            accumulator = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "tensors": 0})
            accumulator.Reload()
            tags = accumulator.Tags()
            out = {"scalars": {t: [[e.step, e.value] for e in accumulator.Scalars(t)] for t in tags["scalars"]},
                   "tensors": sorted(tags["tensors"])}
            print(json.dumps(out))
            """
        let result = try runProcess(try Self.python(), ["-c", script, runDirectory], timeout: 300)
        XCTAssertEqual(result.status, 0, result.standardError)
        let read = try XCTUnwrap(JSONValue.parse(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)),
                                 result.standardOutput)
        func series(_ tag: String) -> [[Double]] {
            guard case let .array(points)? = read["scalars"]?[tag] else { return [] }
            return points.map { point in
                guard case let .array(pair) = point else { return [] }
                return pair.compactMap(\.number)
            }
        }
        XCTAssertEqual(series("train/accuracy"), [[10, 0.25], [20, 0.5], [30, 0.75]])
        XCTAssertEqual(series("train/loss").map { $0[0] }, [10, 20, 30])
        XCTAssertEqual(series("train/resets"), [[10, 1], [20, 1], [30, 1]])
        XCTAssertEqual(series("eval/accuracy"), [[30, 0.875]])
        XCTAssertEqual(series("eval/topsim"), [[30, 0.25]])
        XCTAssertEqual(series("ease_of_teaching/area"), [[30, 0.625]])
        XCTAssertEqual(series("allreduce/seconds"), [[30, 0.125]])
        XCTAssertEqual(series("resets/count"), [[15, 1]])
        // A PBT round: the member's fitness and source, and its hyperparameters after it.
        XCTAssertEqual(series("pbt/fitness"), [[30, 0.75]])
        XCTAssertEqual(series("pbt/source"), [[30, 0]])
        XCTAssertEqual(series("pbt/learning_rate").map { $0[0] }, [30])
        XCTAssertEqual(series("pbt/learning_rate").first?[1] ?? 0, 0.0012, accuracy: 1e-7)
        XCTAssertEqual(read["tensors"], ["config", "summary"])
    }
}
