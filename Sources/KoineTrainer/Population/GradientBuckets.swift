import Foundation
import KoineCluster

/// The shared encoder's gradient averaged over ranks in buckets, each started
/// (`MPI_Iallreduce`) as soon as the backward pass has finished its part of
/// the gradient, so communication overlaps the rest of the backward pass.
/// Ranges arrive in the order backward finishes them (last parameters
/// first); adjacent ranges are merged until a bucket holds `bucketFloats`.
/// Open MPI advances a nonblocking collective only inside MPI calls, so each
/// arriving range also tests the reductions in flight.
final class GradientBuckets {
    let communicator: Communicator
    let gradients: UnsafeMutablePointer<Float>
    let count: Int
    let bucketFloats: Int
    /// Reductions in flight this step; reserved for more than any encoder's
    /// buckets, so appending never allocates after the first step.
    private var handles: [ReductionHandle]
    private var started = 0
    /// The range gathered but not yet started.
    private var pending: Range<Int>?
    /// The first failure to start or test a reduction, thrown by `finish`.
    private var failure: Error?
    /// Parameters reported this step: every one must be, once.
    private var covered = 0

    init(communicator: Communicator, gradients: UnsafeMutablePointer<Float>, count: Int, bucketFloats: Int = 32_768) {
        self.communicator = communicator
        self.gradients = gradients
        self.count = count
        self.bucketFloats = bucketFloats
        handles = []
        handles.reserveCapacity(max(count / max(bucketFloats, 1) + 64, 64))
    }

    /// `range`'s gradient is final for this step.
    func ready(_ range: Range<Int>) {
        guard failure == nil, !range.isEmpty else { return }
        covered += range.count
        if let gathered = pending, gathered.lowerBound == range.upperBound {
            pending = range.lowerBound..<gathered.upperBound
        } else {
            if pending != nil { start() }
            pending = range
        }
        if let gathered = pending, gathered.count >= bucketFloats { start() }
        do {
            for index in 0..<started { _ = try communicator.test(&handles[index]) }
        } catch {
            failure = error
        }
    }

    private func start() {
        guard let range = pending else { return }
        pending = nil
        do {
            let handle = try communicator.startAllreduceAverage(gradients + range.lowerBound, count: range.count)
            if started < handles.count { handles[started] = handle } else { handles.append(handle) }
            started += 1
        } catch {
            failure = error
        }
    }

    /// Starts what is left and waits for every reduction of the step;
    /// returns the seconds spent waiting.
    func finish() throws -> Double {
        precondition(failure != nil || covered == count, "gradient buckets: \(covered) of \(count) parameters reported this step")
        covered = 0
        start()
        let begun = DispatchTime.now().uptimeNanoseconds
        for index in 0..<started { try communicator.wait(&handles[index]) }
        let waited = Double(DispatchTime.now().uptimeNanoseconds - begun) / 1e9
        started = 0
        if let failure {
            self.failure = nil
            throw failure
        }
        return waited
    }
}
