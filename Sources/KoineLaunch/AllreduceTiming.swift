import Foundation
import KoineCluster

/// How long one in-place all-reduce of `floats` Float32 values takes: the
/// cost the trainer pays per step for a shared gradient of that size.
public struct AllreduceTiming: Equatable {
    public var floats: Int
    public var calls: Int
    /// Medians and means per call, each the slowest rank's, in microseconds.
    public var medianMicroseconds: Double
    public var meanMicroseconds: Double

    /// A sensible number of timed calls: many for small buffers, fewer for large.
    public static func defaultCalls(floats: Int) -> Int {
        max(10, min(1000, 40_000_000 / max(floats, 1)))
    }

    /// Times `calls` all-reduces of `floats` zeros (zeros, so repeated sums
    /// stay finite), after a few untimed ones that set up MPI's buffers. All
    /// ranks must call it together; each rank gets the same result.
    public static func measure(_ communicator: Communicator, floats: Int, calls: Int) throws -> AllreduceTiming {
        let count = max(floats, 1)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        buffer.initialize(repeating: 0, count: count)
        defer { buffer.deallocate() }
        var durations = [Double](repeating: 0, count: max(calls, 1))

        for _ in 0..<3 { try communicator.allreduceSum(buffer, count: floats) }
        try communicator.barrier()
        for call in durations.indices {
            let start = now()
            try communicator.allreduceSum(buffer, count: floats)
            durations[call] = Double(now() - start) / 1000
        }
        durations.sort()
        var summary = [durations[durations.count / 2], durations.reduce(0, +) / Double(durations.count)]
        try communicator.allreduceMax(&summary, count: 2)
        return AllreduceTiming(floats: floats, calls: durations.count,
                               medianMicroseconds: summary[0], meanMicroseconds: summary[1])
    }

    /// Monotonic nanoseconds.
    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
