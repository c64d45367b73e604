import KoineGame
import KoineTensor

/// A population's whole state in a checkpoint: every module's parameters,
/// generation and optimizer state, the agents' baselines and births, the
/// position of every random stream and the encoders' statistics. Gradients are not kept: they are zero
/// between steps.
extension Population {
    /// Every module once: speakers, listeners, the encoders, then the
    /// rotation task's (none without it, so other checkpoints read as before).
    var modules: [(name: String, module: Module)] {
        speakers.enumerated().map { ("speaker \($0.offset)", $0.element.module) }
            + listeners.enumerated().map { ("listener \($0.offset)", $0.element.module) }
            + encoders.enumerated().map { ("encoder \($0.offset)", $0.element.module) }
            + taskModules
    }

    /// The rotation heads and the learned task weights.
    var taskModules: [(name: String, module: Module)] {
        (rotationTask?.heads.enumerated().map { ("rotation head \($0.offset)", $0.element.module) } ?? [])
            + (multitask?.modules.map { ("task weights", $0) } ?? [])
    }

    func save(into payload: inout CheckpointPayload) {
        saveAgents(into: &payload)
        saveStreams(into: &payload)
        saveStatistics(into: &payload)
    }

    /// What another member copies at a population-based training round:
    /// everything but the random streams, which the copier keeps (else the
    /// two would go on drawing the same games and continue identically).
    func saveMember(into payload: inout CheckpointPayload) {
        saveAgents(into: &payload)
        saveStatistics(into: &payload)
    }

    func restoreMember(from reader: inout CheckpointReader) throws {
        try restoreAgents(from: &reader)
        try restoreStatistics(from: &reader)
    }

    /// Every module's generation, parameters and optimizer state, then the
    /// agents' baselines and births (their reset clocks).
    private func saveAgents(into payload: inout CheckpointPayload) {
        payload.append(speakers.count)
        payload.append(listeners.count)
        payload.append(encoders.count)
        for (_, module) in modules {
            payload.append(module.generation)
            payload.append(floats: UnsafeBufferPointer(module.parameters.valueBuffer))
            payload.append(module.optimizer.steps)
            let buffers = module.optimizer.stateBuffers
            payload.append(buffers.count)
            for buffer in buffers { payload.append(floats: UnsafeBufferPointer(buffer)) }
        }
        for speaker in speakers { payload.append(speaker.baseline) }
        for listener in listeners { payload.append(listener.baseline) }
        for birth in speakerBirths { payload.append(birth) }
        for birth in listenerBirths { payload.append(birth) }
    }

    private func saveStreams(into payload: inout CheckpointPayload) {
        for s in speakers.indices {
            payload.append(gameStreams[s])
            payload.append(speakerStreams[s])
        }
        for l in listeners.indices { payload.append(listenerStreams[l]) }
        payload.append(pairingStream)
    }

    private func saveStatistics(into payload: inout CheckpointPayload) {
        // Batch norm's running statistics, last, so checkpoints of encoders
        // without them read as before.
        for encoder in encoders {
            if let statistics = encoder.statistics { payload.append(floats: UnsafeBufferPointer(statistics.valueBuffer)) }
        }
    }

    func restore(from reader: inout CheckpointReader) throws {
        try restoreAgents(from: &reader)
        try restoreStreams(from: &reader)
        try restoreStatistics(from: &reader)
    }

    private func restoreAgents(from reader: inout CheckpointReader) throws {
        let counts = (try reader.int(), try reader.int(), try reader.int())
        guard counts == (speakers.count, listeners.count, encoders.count) else {
            throw reader.fault("holds \(counts.0) speakers, \(counts.1) listeners and \(counts.2) encoders; this configuration has \(speakers.count), \(listeners.count) and \(encoders.count)")
        }
        for (name, module) in modules {
            module.generation = try reader.int()
            try reader.floats(into: module.parameters.valueBuffer, what: "\(name)'s parameters")
            module.parameters.zeroGradients()
            module.optimizer.steps = try reader.int()
            let buffers = module.optimizer.stateBuffers
            let stored = try reader.int()
            guard stored == buffers.count else {
                throw reader.fault("\(name) has \(stored) optimizer buffers; this configuration's optimizer has \(buffers.count)")
            }
            for buffer in buffers { try reader.floats(into: buffer, what: "\(name)'s optimizer state") }
        }
        for speaker in speakers { speaker.baseline = try reader.float() }
        for listener in listeners { listener.baseline = try reader.float() }
        for s in speakers.indices { speakerBirths[s] = try reader.int() }
        for l in listeners.indices { listenerBirths[l] = try reader.int() }
    }

    private func restoreStreams(from reader: inout CheckpointReader) throws {
        for s in speakers.indices {
            gameStreams[s] = try reader.random()
            speakerStreams[s] = try reader.random()
        }
        for l in listeners.indices { listenerStreams[l] = try reader.random() }
        pairingStream = try reader.random()
    }

    private func restoreStatistics(from reader: inout CheckpointReader) throws {
        for (index, encoder) in encoders.enumerated() {
            if let statistics = encoder.statistics {
                try reader.floats(into: statistics.valueBuffer, what: "encoder \(index)'s statistics")
            }
        }
    }
}
