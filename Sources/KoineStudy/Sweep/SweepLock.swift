import Foundation

/// One `koine sweep` at a time per sweep directory: two would train the same
/// runs into the same directories. An advisory lock on DIR/.lock, held until
/// the process ends (the kernel drops it even after kill -9); runs do not
/// inherit it, so a finished sweep never looks busy.
public enum SweepLock {
    public static func acquire(_ sweep: String) throws {
        let path = sweep + "/.lock"
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StudyError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StudyError("sweep \(sweep) is being run by another koine sweep; wait for it or stop it first")
        }
        // Deliberately never closed: the lock lasts as long as this process.
    }
}
