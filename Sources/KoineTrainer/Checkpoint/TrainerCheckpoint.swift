import Foundation
import KoineGame
import KoineTensor

/// Counters a resumed run takes over from its checkpoint.
public struct ResumedCounters {
    /// The `seq` of the next telemetry event of this rank.
    public var telemetrySequence: Int
    /// The length of `metrics.jsonl` when the checkpoint was taken (rank 0):
    /// lines after it were written by steps the resumed run plays again.
    public var metricsLength: Int
    /// Whether the checkpoint is a finished run's last one (so resuming it
    /// extends the run rather than replaying steps).
    public var extends: Bool
}

/// Writing a checkpoint (a collective: every rank at the same step) and
/// restoring one. The payload is the configuration as text (for a person
/// reading the file), the population's state, then the trainer's counters.
extension Trainer {
    func writeCheckpoint(into payload: inout CheckpointPayload, step: Int, metricsLength: Int, elapsed: Double) {
        payload.append(configuration.yaml)
        population.save(into: &payload)
        for figures in [reporter.total, reporter.window, reporter.lastWindow, reporter.telemetryWindow] {
            payload.append(figures.packed)
        }
        payload.append(reporter.resets.count)
        for event in reporter.resets {
            payload.append(event.role == .speaker ? 0 : 1)
            payload.append(event.agent)
            payload.append(event.step)
            payload.append(event.rank)
        }
        // A killed run replays its steps' events under the same seq numbers
        // (the collector keeps one copy of each). A finished run's last
        // checkpoint skips past the events the run's end sends after it.
        let finished = step == configuration.train.steps
        payload.append(reporter.telemetry.sequence + (finished ? endEvents : 0))
        payload.append(finished ? 1 : 0)
        payload.append(metricsLength)
        payload.append(elapsed)
        payload.append(reporter.allreduceSeconds)
        // Last, and only with pbt on, so other checkpoints read as before.
        if let member { payload.append(member.hyperparameters) }
    }

    /// Writes every rank's file of `step`; rank 0 marks the step complete only
    /// when all of them are in place, then drops checkpoints beyond `keep`.
    func saveCheckpoint(step: Int, started: Date) throws {
        guard let store = checkpoints else { return }
        var failure = ""
        do {
            let metricsLength = try reporter.run?.synchronizeMetrics() ?? 0
            let elapsed = reporter.elapsedBefore + Date().timeIntervalSince(started)
            var nonFinite = 0
            try store.write(step: step, rank: communicator.rank, worldSize: communicator.size,
                            configuration: configuration.identity) { payload in
                writeCheckpoint(into: &payload, step: step, metricsLength: metricsLength, elapsed: elapsed)
                nonFinite = payload.nonFiniteFloats
            }
            // A diverged state is not kept: the newest complete checkpoint stays the last finite one.
            if nonFinite > 0 {
                failure = "the population's state holds \(nonFinite) NaN or infinite values (training diverged; lower train.optimizer.lr or train.clip)"
            }
        } catch {
            failure = "\(error)"
        }
        let failures = try communicator.gatherStrings(failure)
        if let rank = failures.firstIndex(where: { !$0.isEmpty }) {
            if communicator.rank == 0 { store.remove(step: step) }
            throw TrainingError("checkpoint at step \(step) failed on rank \(rank): \(failures[rank]); \(newestComplete(store))")
        }
        if communicator.rank == 0 {
            do {
                try store.markComplete(step: step, worldSize: communicator.size)
                store.prune(keep: configuration.train.checkpointKeep)
            } catch {
                failure = "\(error)"
                store.remove(step: step)
            }
        }
        let marked = try communicator.gatherStrings(failure)[0]
        if !marked.isEmpty {
            throw TrainingError("checkpoint at step \(step) could not be marked complete: \(marked); \(newestComplete(store))")
        }
    }

    func newestComplete(_ store: CheckpointStore) -> String {
        guard let newest = store.steps().first(where: { $0.complete }) else { return "no complete checkpoint was kept" }
        return "the newest complete checkpoint is \(store.display(store.directory(step: newest.step)))"
    }

    /// Restores this rank's state from the payload of its checkpoint file of
    /// `step`; training then continues with step `step`.
    public func restore(payload: ArraySlice<UInt8>, file: String, step: Int) throws {
        var reader = CheckpointReader(payload, file: file)
        _ = try reader.string()
        try population.restore(from: &reader)
        var figures: [StepFigures] = []
        for _ in 0..<4 {
            var packed = try reader.doubles()
            // Checkpoints from before the rotation task hold the first 10 figures; the others were zero.
            let kept = StepFigures().packed.count
            guard packed.count == kept || packed.count == StepFigures.figuresBeforeRotation else {
                throw reader.fault("holds \(packed.count) step figures; this koine keeps \(kept)")
            }
            let older = packed.count < kept
            packed += [Double](repeating: 0, count: kept - packed.count)
            var restored = StepFigures(packed: packed)
            // Before, every listener batch's loss counted.
            if older { restored.listenerLossBatches = restored.listenerBatches }
            figures.append(restored)
        }
        (reporter.total, reporter.window, reporter.lastWindow, reporter.telemetryWindow) = (figures[0], figures[1], figures[2], figures[3])
        let count = try reader.int()
        let possible = step.multipliedReportingOverflow(by: population.speakers.count + population.listeners.count)
        guard count >= 0, possible.overflow || count <= possible.partialValue else {
            throw reader.fault("holds \(count) resets, impossible by step \(step)")
        }
        // Four numbers each: a count the payload cannot hold is refused before it is allocated.
        guard count <= reader.remaining / 32 else { throw reader.fault("payload ends early (a list of \(count) resets)") }
        reporter.resets = try (0..<count).map { _ in
            let role: ResetEvent.Role = try reader.int() == 0 ? .speaker : .listener
            return ResetEvent(role: role, agent: try reader.int(), step: try reader.int(), rank: try reader.int())
        }
        let sequence = try reader.int(), extends = try reader.int() == 1
        resumed = ResumedCounters(telemetrySequence: sequence, metricsLength: try reader.int(), extends: extends)
        reporter.elapsedBefore = try reader.double()
        reporter.allreduceSeconds = try reader.double()
        if let member {
            let values = try reader.doubles()
            guard values.count == member.policy.explored.count else {
                throw reader.fault("holds \(values.count) PBT hyperparameters; this configuration explores \(member.policy.explored.count)")
            }
            member.restore(values)
        }
        guard reader.isAtEnd else { throw reader.fault("unexpected bytes after the trainer's state") }
        startStep = step
    }
}
