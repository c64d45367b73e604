import Foundation
import KoineTelemetry

/// Writes the events a collector stores as TensorBoard event files: one
/// TensorBoard run per Koine run and rank (`DIR/<run>/rank<k>/`), scalars
/// under stable tags — `train/<figure>` from step events, `eval/<figure>`,
/// `ease_of_teaching/<figure>`, `allreduce/<figure>`, `resets/count`,
/// `pbt/<figure>` (a member's fitness, source and hyperparameters) — and the
/// configuration and summary as text. Events arrive once each (duplicates
/// are not stored, so a resumed run's replay is not written twice); files are
/// flushed after every batch, so TensorBoard shows a live run.
final class TensorBoardExport {
    let directory: String
    private var files: [String: TensorBoardEventFile] = [:]
    private var resetCounts: [String: Int] = [:]
    /// Fields of the envelope, not figures.
    private static let envelope: Set<String> = ["v", "run", "rank", "seq", "time", "kind", "step", "dropped"]

    /// Set once a file could not be written (a full disk): the export stops
    /// there, reported in one line; the database goes on storing.
    private(set) var failed = false

    init(directory: String) {
        self.directory = directory
    }

    /// Records one stored event; problems writing are reported once per file and skipped.
    func record(_ event: ReceivedEvent) {
        guard !failed, let body = JSONValue.parse(event.body), let file = file(for: event) else { return }
        let step = event.step ?? 0
        switch event.kind {
        case .step: scalars(of: body, prefix: "train", into: file, step: step, time: event.time)
        case .eval: scalars(of: body, prefix: "eval", into: file, step: step, time: event.time)
        case .allreduce: scalars(of: body, prefix: "allreduce", into: file, step: step, time: event.time)
        case .easeOfTeaching: scalars(of: body, prefix: "ease_of_teaching", into: file, step: step, time: event.time)
        case .pbt:
            // The member's fitness and source, and its hyperparameters after the round: pbt/learning_rate, ...
            scalars(of: body, prefix: "pbt", into: file, step: step, time: event.time)
            if let after = body["after"] { scalars(of: after, prefix: "pbt", into: file, step: step, time: event.time) }
        case .reset:
            let key = "\(event.run)/\(event.rank)"
            resetCounts[key, default: 0] += 1
            file.scalar("resets/count", step: step, value: Double(resetCounts[key]!), time: event.time)
        case .runStarted:
            if let config = body["config"] { file.text("config", step: step, text: "```\n\(config.serialized)\n```", time: event.time) }
        case .runFinished:
            if let summary = body["summary"] { file.text("summary", step: step, text: "```\n\(summary.serialized)\n```", time: event.time) }
        case .heartbeat: break
        }
    }

    /// Writes everything recorded since the last flush.
    func flush() {
        guard !failed else { return }
        for file in files.values {
            do {
                try file.flush()
            } catch {
                stop("cannot write \(file.path) (\(FileErrorText.reason(error)))")
                return
            }
        }
    }

    private func stop(_ problem: String) {
        failed = true
        files.removeAll()
        FileHandle.standardError.write(Data("koine collect: --tensorboard \(directory): \(problem); TensorBoard export stopped, the database keeps storing\n".utf8))
    }

    private func scalars(of body: JSONValue, prefix: String, into file: TensorBoardEventFile, step: Int, time: Double) {
        guard case let .object(members) = body else { return }
        for (name, value) in members where !Self.envelope.contains(name) {
            guard let number = value.number else { continue }
            file.scalar("\(prefix)/\(name)", step: step, value: number, time: time)
        }
    }

    private func file(for event: ReceivedEvent) -> TensorBoardEventFile? {
        let key = "\(event.run)/\(event.rank)"
        if let file = files[key] { return file }
        let path = "\(directory)/\(RunFileName.of(event.run))/rank\(event.rank)"
        let file: TensorBoardEventFile
        do {
            file = try TensorBoardEventFile(directory: path, time: event.time)
        } catch {
            stop("cannot write TensorBoard files under \(path) (\(FileErrorText.reason(error)))")
            return nil
        }
        files[key] = file
        return file
    }
}
