import ArgumentParser
import KoineTrainer

/// Which of a finished run's utterances an export takes: from its dumped
/// games or its lexicon, of which evaluation, of which rank and speaker.
struct UtteranceOptions: ParsableArguments {
    @Option(name: .long, help: "Where the utterances come from: interactions (the dumped evaluation games) or lexicon (default: interactions when the run dumped any).")
    var from: UtteranceSource?

    @Option(name: .long, help: "The evaluation whose dumped games to take (default: the last).")
    var step: Int?

    @Option(name: .long, help: "Only this rank's speakers.")
    var rank: Int?

    @Option(name: .long, help: "Only this speaker of each rank.")
    var speaker: Int?
}

extension UtteranceSource: ExpressibleByArgument {}
