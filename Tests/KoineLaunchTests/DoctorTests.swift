import Foundation
import KoineCluster
import KoineLaunch
import XCTest

/// The doctor's checks over the single-process communicator.
final class DoctorTests: XCTestCase {
    func testDoctorPassesEveryCheckInOneProcess() throws {
        let communicator = SingleProcessCommunicator()
        let report = try ClusterDoctor.run(communicator, options: .init(floats: [100], calls: 5), mode: "single process")
        XCTAssertTrue(report.passed, report.text)
        XCTAssertEqual(report.ranks.count, 1)
        XCTAssertEqual(report.ranks.first?.pid, Int(getpid()))
        XCTAssertEqual(report.timings.map(\.floats), [100])
        XCTAssertTrue(report.text.contains("all checks passed"))
        XCTAssertTrue(report.json.contains("\"passed\":true"))
    }

    func testDoctorInjectedFailureThrows() {
        let communicator = SingleProcessCommunicator()
        XCTAssertThrowsError(try ClusterDoctor.run(communicator, options: .init(floats: [], failRank: 0), mode: "single process")) {
            XCTAssertTrue("\($0)".contains("injected failure on rank 0"))
        }
    }
}
