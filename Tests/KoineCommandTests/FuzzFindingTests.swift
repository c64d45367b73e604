import Foundation
import KoineTestSupport
import XCTest

/// Every input `scripts/fuzz-config` found crashing the configuration reader
/// (kept in Tests/Fuzz/ConfigReaderFindings) is replayed by the fuzz target
/// built without libFuzzer: each must give a configuration or a one-line
/// ConfigurationError, so the replay exits 0.
final class FuzzFindingTests: XCTestCase {
    func testEveryFindingIsReadOrRefusedInOneLine() throws {
        let folder = packageDirectory.appendingPathComponent("Tests/Fuzz/ConfigReaderFindings")
        let findings = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasSuffix(".md") }.sorted().map { folder.appendingPathComponent($0).path }
        let seeds = ["quick.yaml", "li-bowling/reset.yaml"].map { packageDirectory.appendingPathComponent("configs/\($0)").path }
        let replay = productDirectory.appendingPathComponent("koine-fuzz-config").path
        let result = try runProcess(replay, seeds + findings, timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
    }
}
