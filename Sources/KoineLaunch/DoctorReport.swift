import Foundation
import KoineTelemetry

/// What `koine doctor` found: who the ranks are, which checks failed where,
/// and how long an all-reduce takes.
public struct DoctorReport {
    public struct Rank: Equatable {
        public var rank: Int
        public var pid: Int
        public var host: String
    }

    public struct Failure: Equatable {
        public var rank: Int
        public var check: String
        public var message: String
    }

    public var worldSize: Int
    /// "MPI" or "single process".
    public var mode: String
    /// The MPI library's version line, when MPI is in use.
    public var library: String?
    public var ranks: [Rank]
    public var checks: [String]
    public var failures: [Failure]
    public var timings: [AllreduceTiming]

    public var passed: Bool { failures.isEmpty }

    /// The report rank 0 prints.
    public var text: String {
        var lines = ["koine doctor: \(worldSize) rank\(worldSize == 1 ? "" : "s"), \(mode)"
                     + (library.map { " (\($0))" } ?? "")]
        let hosts = Set(ranks.map(\.host))
        for rank in ranks {
            lines.append("  rank \(rank.rank) of \(worldSize) on \(rank.host), pid \(rank.pid)")
        }
        lines.append("  \(hosts.count) host\(hosts.count == 1 ? "" : "s"): \(hosts.sorted().joined(separator: ", "))")
        for check in checks {
            let failed = failures.filter { $0.check == check }
            lines.append("  \(failed.isEmpty ? "ok  " : "FAIL") \(check)")
            for failure in failed { lines.append("         rank \(failure.rank): \(failure.message)") }
        }
        for timing in timings {
            lines.append("  all-reduce of \(timing.floats) floats: median \(format(timing.medianMicroseconds)) µs, "
                         + "mean \(format(timing.meanMicroseconds)) µs (\(timing.calls) calls, slowest rank)")
        }
        lines.append(passed ? "all checks passed" : "\(Set(failures.map(\.check)).count) check(s) failed")
        return lines.joined(separator: "\n")
    }

    /// The same as one JSON object, for scripts (the all-reduce share in docs/performance.md).
    public var json: String {
        JSONValue.object([
            ("world_size", .int(worldSize)),
            ("mode", .string(mode)),
            ("library", library.map(JSONValue.string) ?? .null),
            ("ranks", .array(ranks.map { .object([("rank", .int($0.rank)), ("pid", .int($0.pid)), ("host", .string($0.host))]) })),
            ("checks", .array(checks.map { check in
                .object([("name", .string(check)), ("passed", .bool(!failures.contains { $0.check == check }))])
            })),
            ("failures", .array(failures.map {
                .object([("rank", .int($0.rank)), ("check", .string($0.check)), ("message", .string($0.message))])
            })),
            ("allreduce", .array(timings.map {
                .object([("floats", .int($0.floats)), ("calls", .int($0.calls)),
                         ("median_us", .double($0.medianMicroseconds)), ("mean_us", .double($0.meanMicroseconds))])
            })),
            ("passed", .bool(passed)),
        ]).serialized
    }

    private func format(_ microseconds: Double) -> String {
        String(format: microseconds < 100 ? "%.1f" : "%.0f", microseconds)
    }
}
