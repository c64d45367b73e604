/// Two tasks' gradients on the parameters both reach, computed one after the
/// other in the parameters' own gradient buffers: `setApart()` moves the
/// first task's gradient out (leaving zeros for the second's backward), and
/// `combine` writes their combination back. The blocks (one per module both
/// tasks reach) count as one vector for cosines and projections.
public final class TaskGradients {
    public let blocks: [Parameters]
    /// The first task's gradient, block after block.
    let apart: UnsafeMutablePointer<Float>
    let count: Int

    public init(shared blocks: [Parameters]) {
        self.blocks = blocks
        count = blocks.reduce(0) { $0 + $1.count }
        apart = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        apart.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { apart.deallocate() }

    /// Moves the blocks' current gradients (the first task's) aside and clears them.
    public func setApart() {
        var offset = 0
        for block in blocks {
            (apart + offset).update(from: block.gradients, count: block.count)
            block.zeroGradients()
            offset += block.count
        }
    }

    /// The agreement of the first task's gradient (set apart) with the second's (in the blocks).
    public func agreement() -> ConflictingGradients.Agreement {
        var total = ConflictingGradients.Agreement(), offset = 0
        for block in blocks {
            total = total + ConflictingGradients.agreement(apart + offset, block.gradients, count: block.count)
            offset += block.count
        }
        return total
    }

    /// Writes first·`firstWeight` + second·`secondWeight` into the blocks,
    /// or with `projectingConflicts`, PCGrad's combination of those two
    /// weighted gradients. Returns their agreement before projection
    /// (unweighted: its cosine is the tasks' own).
    @discardableResult
    public func combine(firstWeight: Float, secondWeight: Float, projectingConflicts: Bool) -> ConflictingGradients.Agreement {
        let measured = agreement()
        var first = firstWeight, second = secondWeight
        if projectingConflicts {
            let projection = measured.scaled(first: Double(firstWeight), second: Double(secondWeight)).projection
            first *= projection.first
            second *= projection.second
        }
        var offset = 0
        for block in blocks {
            let gradient = block.gradients, set = apart + offset
            for i in 0..<block.count { gradient[i] = first * set[i] + second * gradient[i] }
            offset += block.count
        }
        return measured
    }
}
