import Foundation
import KoineCluster
import KoineTestSupport
import KoineTrainer
import XCTest

/// `TrainingJob`'s mistakes end in exit status 2 before anything is written.
/// Only paths that return before training are run here: a job that trains
/// watches SIGTERM for the rest of the process (the command tests run those).
final class TrainingJobTests: XCTestCase {
    struct NoLauncher: Error {}

    func testMistakesEndInStatusTwoWithoutWriting() throws {
        let directory = try makeTemporaryDirectory("training-job")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.yaml")
        try "seed: 1\n".write(to: bad, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("run").path
        let jobs = [
            TrainingJob(config: nil, out: out),
            TrainingJob(config: bad.path, out: out, resume: directory.path),
            TrainingJob(config: bad.path, out: out, peerTimeout: -1),
            TrainingJob(config: bad.path, out: out, peerTimeout: .infinity),
            TrainingJob(config: bad.path, out: out),
            TrainingJob(config: directory.appendingPathComponent("absent.yaml").path, out: out),
        ]
        for job in jobs {
            XCTAssertEqual(try job.run { SingleProcessCommunicator() }, TrainingJob.mistakeStatus)
        }
        XCTAssertEqual(try TrainingJob(config: bad.path).run { throw NoLauncher() }, TrainingJob.mistakeStatus)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}
