import Foundation
import KoineCluster

/// A child started with `posix_spawn`: unlike Foundation's `Process` it can
/// get its own process group (so a terminal's Ctrl-C reaches it only through
/// us, in the order we choose) and default signal handling even when this
/// process ignores SIGINT and SIGTERM to forward them.
public final class ChildProcess {
    public let identifier: pid_t
    private var status: Int32?

    /// Starts `executable` with `arguments`, this process's environment plus `environment`.
    public init(
        executable: String, arguments: [String], environment: [String: String] = [:],
        ownProcessGroup: Bool = false
    ) throws {
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if ownProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, nil, &attributes, argv, envp)
        guard code == 0 else {
            throw ClusterError.failed("cannot start \(executable): \(String(cString: strerror(code)))")
        }
        identifier = pid
    }

    /// Sends `signal` to the child, if it has not been reaped yet.
    public func send(_ signal: Int32) {
        if status == nil { kill(identifier, signal) }
    }

    /// Waits for the child and returns its exit status, or 128 + the signal
    /// that ended it, as a shell reports it.
    @discardableResult
    public func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(identifier, &raw, 0) < 0 && errno == EINTR {}
        let decoded = ChildProcess.decode(raw)
        status = decoded
        return decoded
    }

    /// Waits at most `timeout` seconds; nil when the child is still running.
    public func wait(timeout: TimeInterval) -> Int32? {
        if let status { return status }
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            var raw: Int32 = 0
            let result = waitpid(identifier, &raw, WNOHANG)
            if result == identifier {
                let decoded = ChildProcess.decode(raw)
                status = decoded
                return decoded
            }
            if result < 0 && errno != EINTR { return nil }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    /// The shell's reading of a wait status (the W* macros are not imported).
    static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}
