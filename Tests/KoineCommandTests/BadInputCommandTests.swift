import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KoineTestSupport
import XCTest

/// Hardening II (issue 31) through the built binary: one table of bad inputs
/// per surface (image data sets, weights files and pretraining, diverging
/// runs, sweeps, comparisons and plots). Each case: one line on standard
/// error naming what was wrong, exit 2 for bad input or 1 for a failure,
/// within a few seconds (no hang), and nothing half-written.
final class BadInputCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory("bad-inputs") }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ text: String, _ name: String) throws -> String {
        let file = path(name)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// A case of a table: the arguments, the exit status and what the one line of standard error says.
    struct Case {
        let name: String
        let arguments: [String]
        let status: Int32
        let fragment: String
        /// Paths that must not exist afterwards (nothing half-written).
        var absent: [String] = []
    }

    func check(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) throws {
        for bad in cases {
            let started = Date()
            let result = try runKoine(bad.arguments, environment: ["SWIFT_BACKTRACE": "enable=no"], directory: directory, timeout: 30)
            XCTAssertFalse(result.timedOut, "\(bad.name): hung", file: file, line: line)
            XCTAssertEqual(result.status, bad.status, "\(bad.name): \(result.standardError)", file: file, line: line)
            let lines = result.standardError.split(separator: "\n").filter { !$0.hasPrefix("pretraining ") }
            XCTAssertEqual(lines.count, 1, "\(bad.name): one line: \(result.standardError)", file: file, line: line)
            XCTAssertTrue(result.standardError.contains(bad.fragment), "\(bad.name): \(result.standardError)", file: file, line: line)
            for path in bad.absent {
                XCTAssertFalse(FileManager.default.fileExists(atPath: path), "\(bad.name): \(path) was written", file: file, line: line)
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 20, bad.name, file: file, line: line)
        }
    }

    /// A small image game on rendered shapes: trains in well under a second.
    static let shapes = """
        seed: 1
        game: {kind: images, dataset: shapes, shapes: {train: 64, test: 16}, candidates: 4, vocab: 4, message_length: 2}
        agents: {hidden: 8, visual: {mode: learned, widths: [4], convolutions: 1, batch_norm: false}}
        train: {steps: 6, batch: 8, log_every: 2, checkpoint: {every: 1, keep: 10}}
        eval: {every: 0, images: 16, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    /// Image data sets, the visual encoder's size and its weights file, read by `koine train`.
    func testImageDataSetsAndWeights() throws {
        let config = try write(Self.shapes, "shapes.yaml")
        // A folder whose first image's header claims 60,000 × 60,000 (exit 134 before).
        let big = path("big")
        try FileManager.default.createDirectory(atPath: big + "/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: big + "/b", withIntermediateDirectories: true)
        try Data(pngHeader(width: 60000, height: 60000)).write(to: URL(fileURLWithPath: big + "/a/0.png"))
        try Data(pngHeader(width: 8, height: 8)).write(to: URL(fileURLWithPath: big + "/b/0.png"))
        // A FIFO named like Fashion-MNIST's training images (a hang before).
        let fifo = path("fifo")
        try FileManager.default.createDirectory(atPath: fifo, withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(fifo + "/train-images-idx3-ubyte", 0o644), 0)
        // A weights file of NaN, as `koine pretrain --lr 1e30` wrote before.
        var weights = Array("KOINEVIS".utf8)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { weights += $0 } }
        append(UInt32(1))
        for value: UInt32 in [3, 1, 0, 1, 4] { append(value) }
        append(UInt64(9 * 3 * 4 + 4))
        append(UInt64(0))
        for _ in 0..<(9 * 3 * 4 + 4) { append(Float.nan.bitPattern) }
        append(fnv1a(weights))
        try Data(weights).write(to: URL(fileURLWithPath: path("nan.weights")))
        let runs = ["big", "fifo", "widths", "nan", "fifo-weights"].map { path("run-" + $0) }
        XCTAssertEqual(mkfifo(path("fifo.weights"), 0o644), 0)
        try check([
            Case(name: "60000×60000 PNG first in a folder",
                 arguments: ["train", "--config", config, "--set", "game.dataset=folder", "--set", "game.dataset_path=\(big)", "--out", runs[0]],
                 status: 2, fragment: "0.png: expected an image of at most 16777216 pixels (4096×4096), found 60000×60000", absent: [runs[0]]),
            Case(name: "FIFO as a Fashion-MNIST file",
                 arguments: ["train", "--config", config, "--set", "game.dataset=fashion-mnist", "--set", "game.dataset_path=\(fifo)", "--out", runs[1]],
                 status: 2, fragment: "train-images-idx3-ubyte: expected Fashion-MNIST images, found a FIFO (named pipe)", absent: [runs[1]]),
            Case(name: "agents.visual.widths [100000, 100000]",
                 arguments: ["train", "--config", config, "--set", "agents.visual.widths=[100000, 100000]", "--out", runs[2]],
                 status: 2, fragment: "agents.visual.widths [100000, 100000]); make them smaller", absent: [runs[2]]),
            Case(name: "NaN weights file",
                 arguments: ["train", "--config", config, "--set", "agents.visual.mode=pretrained", "--set", "agents.visual.weights=nan.weights",
                             "--out", runs[3]],
                 status: 2, fragment: "nan.weights: holds a non-finite weight (NaN at value 0)", absent: [runs[3]]),
            Case(name: "FIFO weights file",
                 arguments: ["train", "--config", config, "--set", "agents.visual.mode=pretrained", "--set", "agents.visual.weights=fifo.weights",
                             "--out", runs[4]],
                 status: 2, fragment: "fifo.weights: expected a visual encoder weights file, found a FIFO (named pipe)", absent: [runs[4]]),
        ])
    }

    /// NaN and infinity stop pretraining and training: one line, exit 1, no
    /// weights file, and the last finite checkpoint kept (and no later one).
    func testDivergenceStopsPretrainingAndTraining() throws {
        let config = try write(Self.shapes, "shapes.yaml")
        let run = path("diverged")
        try check([
            Case(name: "pretrain --lr 1e30", arguments: ["pretrain", "--config", config, "--out", path("w.weights"), "--epochs", "2",
                                                         "--batch", "8", "--lr", "1e30", "--quiet"],
                 status: 1, fragment: "training diverged (lower --lr, now 1e+30); \(path("w.weights")) not written",
                 absent: [path("w.weights"), path("w.weights.partial")]),
            Case(name: "pretrain --out \"\"", arguments: ["pretrain", "--config", config, "--out", "", "--batch", "8", "--quiet"],
                 status: 2, fragment: "--out \"\": expected a file name for the weights", absent: [path(".partial")]),
            Case(name: "pretrain --epochs Int.max", arguments: ["pretrain", "--config", config, "--out", path("e.weights"), "--epochs",
                                                                "9223372036854775807", "--quiet"],
                 status: 2, fragment: "--epochs must be from 1 to 1000000 (got 9223372036854775807)", absent: [path("e.weights")]),
            Case(name: "train.optimizer.lr 1e30", arguments: ["train", "--config", config, "--set", "train.optimizer.lr=1e30", "--out", run, "--quiet"],
                 status: 1, fragment: "loss is NaN at step 2 on rank 0: training diverged", absent: [run + "/checkpoints/step-00000002"]),
        ])
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/checkpoints/step-00000001/COMPLETE"), "the last finite checkpoint stays")
        let resumed = try runKoine(["train", "--resume", run, "--quiet"], timeout: 30)
        XCTAssertEqual(resumed.status, 1, "resuming diverges again, and says so: \(resumed.standardError)")
        XCTAssertTrue(resumed.standardError.contains("training diverged"), resumed.standardError)
    }

    /// `koine sweep`: an empty --out, huge seed ranges, grid values that share a directory name.
    func testSweepOptions() throws {
        let config = try write("game: {}\ntrain: {steps: 2}\n", "q.yaml")
        try check([
            Case(name: "--out \"\"", arguments: ["sweep", "--config", config, "--out", ""], status: 2,
                 fragment: "--out \"\": expected a directory name, found an empty one"),
            Case(name: "--seeds 1-10000000", arguments: ["sweep", "--config", config, "--out", path("s1"), "--seeds", "1-10000000"], status: 2,
                 fragment: "names more than 100000 seeds", absent: [path("s1")]),
            Case(name: "--seeds 0-9223372036854775807", arguments: ["sweep", "--config", config, "--out", path("s2"), "--seeds", "0-9223372036854775807"],
                 status: 2, fragment: "names more than 100000 seeds", absent: [path("s2")]),
            Case(name: "--seeds of many small ranges", arguments: ["sweep", "--config", config, "--out", path("s3"),
                                                                   "--seeds", (0..<11).map { "\($0 * 10000)-\($0 * 10000 + 9999)" }.joined(separator: ",")],
                 status: 2, fragment: "names more than 100000 seeds", absent: [path("s3")]),
            Case(name: "grid values of one directory name", arguments: ["sweep", "--config", config, "--out", path("s4"), "--slurm",
                                                                        "--grid", "train.steps=\"5\",'5'"],
                 status: 2, fragment: "map to one directory name, train.steps=_5_; drop one", absent: [path("s4")]),
            Case(name: "--np Int.max", arguments: ["sweep", "--config", config, "--out", path("s6"), "--slurm", "--np", "9223372036854775807"],
                 status: 2, fragment: "--np must be from 1 to 65536", absent: [path("s6")]),
            Case(name: "--threads Int.max", arguments: ["sweep", "--config", config, "--out", path("s7"), "--slurm", "--threads", "9223372036854775807"],
                 status: 2, fragment: "--threads must be from 1 to 1024", absent: [path("s7")]),
            Case(name: "grid × seeds past the run limit", arguments: ["sweep", "--config", config, "--out", path("s5"), "--slurm", "--seeds", "1-50000",
                                                                      "--grid", "train.steps=1,2,3"],
                 status: 2, fragment: "is more than 100000 runs", absent: [path("s5")]),
        ])
    }

    /// Two run directories whose figures are ±1.7e308 (and a metrics line of step 1e300).
    func extremeRuns() throws -> [String] {
        try (1...2).map { seed in
            let run = path("extreme/r\(seed)")
            _ = try write("seed: \(seed)\ngame: {kind: attributes}\n", "extreme/r\(seed)/config.yaml")
            _ = try write("{\"accuracy\": 1.7e308, \"topsim\": \(seed == 1 ? "1.7e308" : "-1.7e308"), \"steps\": 10}\n",
                          "extreme/r\(seed)/summary.json")
            _ = try write("{\"kind\":\"eval\",\"step\":10,\"accuracy\":1.7e308,\"topsim\":-1.7e308}\n"
                          + "{\"kind\":\"step\",\"step\":100000000000000000,\"accuracy\":1.7e308}\n"
                          + "{\"kind\":\"eval\",\"step\":1e300,\"accuracy\":1.7e308}\n", "extreme/r\(seed)/metrics.jsonl")
            return run
        }
    }

    /// `koine compare` on figures near Double's limits (exit 132 in PlotFrame.axis before, an
    /// empty --json, "inf ± inf", -nan in the SVG), and on a run whose file is a FIFO.
    func testCompareOnExtremeFigures() throws {
        let runs = try extremeRuns()
        let plots = path("plots")
        let table = try runKoine(["compare"] + runs + ["--plots", plots], environment: ["SWIFT_BACKTRACE": "enable=no"], timeout: 30)
        XCTAssertEqual(table.status, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("accuracy              1.7e+308 ± 0.000 (n=2)"), table.standardOutput)
        XCTAssertFalse(table.standardOutput.contains("nan"), table.standardOutput)
        let json = try runKoine(["compare"] + runs + ["--no-plots", "--json"], timeout: 30)
        XCTAssertEqual(json.status, 0, json.standardError)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)), "valid JSON: \(json.standardOutput)")
        XCTAssertGreaterThan(json.standardOutput.count, 100)
        let svgs = try FileManager.default.contentsOfDirectory(atPath: plots).filter { $0.hasSuffix(".svg") }
        XCTAssertFalse(svgs.isEmpty)
        for svg in svgs {
            let text = try String(contentsOfFile: plots + "/" + svg, encoding: .utf8)
            XCTAssertFalse(text.lowercased().contains("nan") || text.contains("inf"), "\(svg) draws only numbers")
            XCTAssertNil(XMLParserCheck(text).error, "\(svg) is well-formed")
        }
        try check([
            Case(name: "--plots \"\"", arguments: ["compare"] + runs + ["--plots", ""], status: 2,
                 fragment: "--plots \"\": expected a directory name, found an empty one"),
            Case(name: "--csv where no directory can be made", arguments: ["compare"] + runs + ["--no-plots", "--csv", "/proc/koine-csv"],
                 status: 1, fragment: "compare: --csv /proc/koine-csv: cannot write ("),
        ])
        // A FIFO for config.yaml: refused, not waited on.
        try FileManager.default.createDirectory(atPath: path("fifo-run"), withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(path("fifo-run/config.yaml"), 0o644), 0)
        try check([Case(name: "config.yaml is a FIFO", arguments: ["compare", path("fifo-run"), "--no-plots"], status: 2,
                        fragment: "config.yaml: expected a regular file, found a directory or special file")])
    }

    /// `koine report --db` on what is not a database file: a FIFO hung SQLite's open.
    func testReportOnSpecialFiles() throws {
        XCTAssertEqual(mkfifo(path("fifo.sqlite"), 0o644), 0)
        try FileManager.default.createDirectory(atPath: path("directory.sqlite"), withIntermediateDirectories: true)
        try check([
            Case(name: "--db FIFO", arguments: ["report", "--db", path("fifo.sqlite")], status: 2,
                 fragment: "fifo.sqlite: expected a SQLite database file, found a FIFO"),
            Case(name: "--db directory", arguments: ["report", "--db", path("directory.sqlite"), "--html", path("page.html")], status: 2,
                 fragment: "directory.sqlite: expected a SQLite database file, found a directory", absent: [path("page.html")]),
        ])
    }

    /// A PNG of width × height whose header alone is valid (enough for the size check).
    func pngHeader(width: Int, height: Int) -> [UInt8] {
        func bigEndian(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            return bigEndian(data.count) + typed + bigEndian(Int(crc32(typed)))
        }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0])
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00]) + chunk("IEND", [])
    }
}

/// CRC-32 (PNG's), bit by bit: the tests' PNG headers are a few bytes.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// FNV-1a of `bytes`, as weights files are checksummed.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    bytes.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
}

/// Whether `text` parses as XML; `error` is what the parser said when it does not.
struct XMLParserCheck {
    let error: Error?
    init(_ text: String) {
        let parser = XMLParser(data: Data(text.utf8))
        error = parser.parse() ? nil : parser.parserError ?? NSError(domain: "xml", code: 1)
    }
}
