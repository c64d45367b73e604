/// A reduction in flight, returned by `startAllreduceSum` and completed by
/// `wait`. It is a plain value, so starting one every step allocates nothing;
/// the buffer must stay untouched until `wait`.
public struct ReductionHandle {
    /// The implementation's request (`MPI_Request`, a pointer in Open MPI); nil
    /// when the reduction finished at once, as it does in a single process.
    package var request: OpaquePointer?
    /// The buffer and its length, kept for the scaling an average needs.
    let buffer: UnsafeMutablePointer<Float>?
    let count: Int
    /// Multiplied into the buffer on completion: 1 for a sum, 1/size for an average.
    let scale: Float
    /// Set once `wait` has finished, so a second wait is a harmless no-op.
    var completed: Bool
    /// What the reduction is, for the line naming a rank that does not answer.
    public var what = "the shared encoder's all-reduce"

    package init(request: OpaquePointer?, buffer: UnsafeMutablePointer<Float>?, count: Int, scale: Float) {
        self.request = request
        self.buffer = buffer
        self.count = count
        self.scale = scale
        self.completed = false
    }

    /// Whether `wait` has already completed this reduction.
    public var isCompleted: Bool { completed }

    /// Applies the average's scaling once the sum has landed in the buffer.
    package mutating func finish() {
        guard !completed else { return }
        completed = true
        if scale != 1, let buffer {
            for index in 0..<count { buffer[index] *= scale }
        }
    }
}
