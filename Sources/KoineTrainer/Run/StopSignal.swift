import Dispatch
import Foundation
import KoineCluster

/// A request to stop training early, as a scheduler sends before it pre-empts,
/// requeues or times out a job (Slurm: SIGTERM, then SIGKILL after its
/// `KillWait`; `#SBATCH --signal=B:TERM@60` a minute ahead). The run then
/// writes a checkpoint at once and exits, to be resumed with `--resume`.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?
    private var sources: [DispatchSourceSignal] = []

    /// A stop that is only ever requested by `request` (tests, or no signals).
    public init() {}

    /// Watches `signals` (default SIGTERM) for the rest of the process: the
    /// first one received asks the run to stop; the process is not killed.
    public static func watching(_ signals: [Int32] = [SIGTERM]) -> StopSignal {
        let stop = StopSignal()
        for number in signals {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.request(number) }
            source.resume()
            stop.sources.append(source)
        }
        return stop
    }

    /// Asks the run to stop, as receiving `signal` does.
    public func request(_ signal: Int32 = SIGTERM) {
        lock.lock()
        if received == nil { received = signal }
        lock.unlock()
    }

    /// The first signal received, if any.
    public var signal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// The signal's name, for messages ("SIGTERM").
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        default: "signal \(signal)"
        }
    }
}

/// Makes every rank stop after the same step when any of them was asked to:
/// each step's end starts a nonblocking sum of "this rank was asked" and the
/// next step's end reads it, so the reduction's latency hides behind a step of
/// work and the ranks' answers come from one reduction. A rank signalled
/// during step s stops after step s + 1 (s alone).
final class StopAgreement {
    private let signal: StopSignal
    private let communicator: Communicator
    private let flag = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var pending: ReductionHandle?

    init(signal: StopSignal, communicator: Communicator) {
        self.signal = signal
        self.communicator = communicator
        flag.initialize(to: 0)
    }

    deinit { flag.deallocate() }

    /// Whether to stop now, at the end of a step; a collective when ranks are
    /// several (every rank calls it at every step's end).
    func shouldStop() throws -> Bool {
        guard communicator.size > 1 else { return signal.signal != nil }
        if var handle = pending {
            try communicator.wait(&handle)
            pending = nil
            if flag.pointee > 0 { return true }
        }
        flag.pointee = signal.signal == nil ? 0 : 1
        pending = try communicator.startAllreduceSum(flag, count: 1)
        // Every run has it, a shared encoder or not (a PBT run's stalled member was
        // named as late in "the shared encoder's all-reduce", which it has none of).
        pending?.what = "the all-reduce of the ranks' stop flags"
        return false
    }

    /// Completes the reduction in flight, so the next collective starts clean.
    func finish() throws {
        guard var handle = pending else { return }
        try communicator.wait(&handle)
        pending = nil
    }
}

/// The run stopped early because it was asked to; its newest checkpoint holds
/// the step it stopped after.
public struct TrainingStopped: Error, CustomStringConvertible {
    /// The signal that asked for the stop (on some rank).
    public let signal: Int32?
    /// The last step played.
    public let step: Int
    /// The checkpoint written at that step, or why there is none.
    public let checkpoint: String

    /// The exit status a stopped `koine train` ends with: 128 + SIGTERM, as a
    /// process the signal ended, so schedulers and shells see it stopped.
    public static let exitCode: Int32 = 128 + SIGTERM

    public var description: String {
        let cause = signal.map { "stopped by \(StopSignal.name($0))" } ?? "stopped because another rank was asked to"
        return "\(cause) after step \(step); \(checkpoint)"
    }
}
