import ArgumentParser
import Foundation
import KoineTelemetry
import KoineTrainer

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a finished run's language as a corpus of the Emergent Language Corpus Collection (--elcc).",
        discussion: """
            OUT/systems/koine-<game>/metadata.yml describes the system; data/<corpus>/corpus.jsonl below it holds one \
            game a line, its utterance as integer tokens, and data/<corpus>/metadata.json where the utterances come \
            from, the corpus's analyses, the run's figures and configuration. The utterances are the run's dumped \
            evaluation games (eval.interactions) when it has any, else its lexicon. See docs/elcc.md.
            """)

    @Argument(help: "The run directory (a finished koine train run).")
    var directory: String

    @Flag(name: .long, help: "Export as an ELCC corpus (the only format so far; required, so that the format is always named).")
    var elcc = false

    @Option(name: .long, help: "The directory to create (default: the run directory with -elcc appended); it must not exist or be empty.")
    var out: String?

    @Option(name: .long, help: "The corpus's name (default: the run directory's name).")
    var corpus: String?

    @OptionGroup var utterances: UtteranceOptions

    func run() throws {
        guard elcc else { throw UsageFailure("export: name the format: --elcc (the Emergent Language Corpus Collection's)") }
        let export: ELCCExport
        do {
            export = try ELCCExport(run: directory, out: out, corpus: corpus, source: utterances.from, step: utterances.step,
                                    rank: utterances.rank, speaker: utterances.speaker)
        } catch let error as ConfigurationError {
            throw UsageFailure(error.message)
        }
        try export.write()
        let origin = export.spoken.step.map { "the games of step \($0)" } ?? "its lexicon"
        print("\(TerminalText.safe(export.out.path)): systems/\(export.system)/data/\(export.corpus): "
              + "\(export.analysis.episodes) episodes, \(export.analysis.tokens) tokens, from \(origin)")
    }
}
