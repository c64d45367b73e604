import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `koine export --elcc RUN`: a finished run's language as a corpus in the
/// layout of the Emergent Language Corpus Collection (Boldt & Mortensen 2024):
///
///     OUT/systems/<system>/metadata.yml
///     OUT/systems/<system>/system.json            (metadata.yml as JSON)
///     OUT/systems/<system>/data/<corpus>/corpus.jsonl
///     OUT/systems/<system>/data/<corpus>/metadata.json
///
/// Everything is read and checked when the export is made; `write()` then
/// fills a temporary directory beside OUT and renames it into place, so OUT
/// is either absent or whole.
public struct ELCCExport {
    public let out: URL
    public let system: String
    public let corpus: String
    public let spoken: RunUtterances
    public let analysis: CorpusAnalysis
    let metadata: ELCCMetadata

    /// `out` defaults to `RUN-elcc` beside the run, `corpus` to the run's
    /// directory name made a portable file name.
    public init(run path: String, out: String? = nil, corpus: String? = nil, source: UtteranceSource? = nil,
                step: Int? = nil, rank: Int? = nil, speaker: Int? = nil) throws {
        let run = try FinishedRun(directory: path)
        if let corpus, !Self.isPortableName(corpus) {
            throw ConfigurationError("--corpus \(corpus): expected a directory name of letters, digits, '.', '_' and '-', not starting with '.'")
        }
        self.corpus = corpus ?? Self.portableName(run.name)
        // "" would be the working directory, which the export's rename replaces when it is empty.
        if let out, out.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ConfigurationError("--out \"\(out)\": expected the name of a directory to create, found an empty one")
        }
        self.out = URL(fileURLWithPath: out ?? run.directory.path + "-elcc")
        try RunDirectory.check(self.out, remedy: "choose a new one")
        spoken = try RunUtterances(run: run, source: source, step: step, rank: rank, speaker: speaker)
        let system = ELCCSystem(configuration: run.configuration)
        self.system = system.name
        let game = run.configuration.game
        analysis = CorpusAnalysis(episodes: spoken.utterances.map { [$0.symbols] }, vocabulary: game.vocabulary,
                                  endOfMessage: game.variableLength ? Int(run.configuration.agentSettings.endOfMessage) : nil)
        metadata = ELCCMetadata(system: system, corpus: self.corpus, run: run, spoken: spoken, analysis: analysis,
                                rank: rank, speaker: speaker)
    }

    static func isPortableName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 200 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// A sweep's run `reset,seed=2` names corpus `reset_seed_2`.
    static func portableName(_ name: String) -> String {
        let kept = String(name.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar)) ? Character(scalar) : "_"
        }.prefix(200))
        return isPortableName(kept) ? kept : "corpus"
    }

    /// The files, by their path inside OUT.
    var files: [(path: String, write: (DurableFile.Writer) throws -> Void)] {
        let systemFolder = "systems/\(system)", corpusFolder = "systems/\(system)/data/\(corpus)"
        let systemYAML = "# ELCC system metadata, written by koine export --elcc (docs/elcc.md says which fields the ELCC paper documents).\n"
            + metadata.systemDocument.yaml(plainText: false)
        let corpusJSON = metadata.corpusDocument.serialized + "\n"
        return [
            (corpusFolder + "/corpus.jsonl", { try Self.writeEpisodes(spoken.utterances, to: $0) }),
            (corpusFolder + "/metadata.json", { try $0.write(Array(corpusJSON.utf8)) }),
            (systemFolder + "/metadata.yml", { try $0.write(Array(systemYAML.utf8)) }),
            (systemFolder + "/system.json", { try $0.write(Array((metadata.systemDocument.serialized + "\n").utf8)) }),
        ]
    }

    /// One episode a line: the game's one utterance, its tokens as integers (`[[3,1,0]]`).
    static func writeEpisodes(_ utterances: [RunUtterances.Utterance], to writer: DurableFile.Writer) throws {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        for utterance in utterances {
            buffer += Array("[[".utf8)
            buffer += Array(utterance.symbols.map(String.init).joined(separator: ",").utf8)
            buffer += Array("]]\n".utf8)
            if buffer.count >= 1 << 16 {
                try writer.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try writer.write(buffer)
    }

    /// Writes the export into a temporary directory beside OUT and renames it
    /// into place; a failure leaves no OUT and no temporary directory.
    public func write() throws {
        let parent = out.deletingLastPathComponent()
        try DurableFile.makeDirectory(parent.path)
        let temporary = parent.appendingPathComponent(".\(out.lastPathComponent).tmp-\(getpid())")
        try? FileManager.default.removeItem(at: temporary)
        do {
            for (path, body) in files {
                let file = temporary.appendingPathComponent(path)
                try DurableFile.makeDirectory(file.deletingLastPathComponent().path)
                try DurableFile.write(to: file.path, body: body)
            }
            // Every directory's entries reach the disk before the one rename that publishes them.
            for folder in ["systems/\(system)/data", "systems/\(system)", "systems", ""] {
                try DurableFile.synchronizeDirectory(temporary.appendingPathComponent(folder).path)
            }
            // Onto nothing, or onto an empty directory, which rename(2) replaces.
            guard rename(temporary.path, out.path) == 0 else { throw FileFailure.system(out.path) }
            try DurableFile.synchronizeDirectory(parent.path)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw RunFileFailure(file: out.path, reason: "\(error)")
        }
    }
}
