import Foundation
import GRDB
import KoineTelemetry

/// Every open of a telemetry database goes through here, so that readers and
/// the collector wait for each other instead of failing with "database is
/// locked". SQLite answers SQLITE_BUSY while another connection holds a lock it
/// needs (a reader during the last writer's closing checkpoint, a writer while
/// WAL recovery runs), and some of those answers bypass the busy handler, so
/// the open itself is retried as well.
enum TelemetryDatabase {
    /// How long an open or a statement waits for another connection's lock.
    static let patience: TimeInterval = 30

    static func configuration(readonly: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.readonly = readonly
        configuration.busyMode = .timeout(patience)
        return configuration
    }

    /// Opens the database and runs `check` once on it, retrying while SQLite
    /// reports the database busy or locked.
    static func open<T>(path: String, configuration: Configuration, check: (DatabaseQueue) throws -> T) throws -> (DatabaseQueue, T) {
        // SQLite would wait forever on a FIFO's open, and means nothing on a device or directory.
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            let kind = status.st_mode & S_IFMT == S_IFDIR ? "a directory" : status.st_mode & S_IFMT == S_IFIFO ? "a FIFO" : "a special file"
            throw TelemetryError.database(path, "expected a SQLite database file, found \(kind)")
        }
        let deadline = Date().addingTimeInterval(patience)
        var pause: TimeInterval = 0.005
        while true {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                return (queue, try check(queue))
            } catch let error as DatabaseError where isContention(error) && Date() < deadline {
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 0.2)
            }
        }
    }

    static func isContention(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }
}
