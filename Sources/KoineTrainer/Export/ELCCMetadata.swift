import KoineTelemetry

/// The two metadata documents of an ELCC export: the system's
/// (`systems/<system>/metadata.yml`: where the system comes from, ELCC's
/// taxonomy, its population, and this corpus as one of its variants) and
/// the corpus's (`data/<corpus>/metadata.json`: where its utterances come
/// from, the channel, ELCC's analyses, the run's figures and configuration).
/// `systems/<system>/system.json` is the system's document again, as JSON:
/// ELCC derives it from metadata.yml, and its analysis code reads it.
/// docs/elcc.md says field by field which the ELCC paper documents.
struct ELCCMetadata {
    let system: ELCCSystem
    let corpus: String
    let run: FinishedRun
    let spoken: RunUtterances
    let analysis: CorpusAnalysis
    let rank: Int?
    let speaker: Int?

    private var configuration: Configuration { run.configuration }

    /// The channel every utterance was sent on.
    var channel: JSONValue {
        let game = configuration.game
        return .object([
            ("vocabulary", .int(game.vocabulary)), ("message_length", .int(game.messageLength)),
            ("variable_length", .bool(game.variableLength)),
            ("end_of_message", game.variableLength ? .int(Int(configuration.agentSettings.endOfMessage)) : .null),
            ("kind", .string(configuration.agents.channel.rawValue)),
        ])
    }

    private var agents: Int { (configuration.population.speakers + configuration.population.listeners) * run.worldSize }

    var systemDocument: JSONValue {
        let population = configuration.population
        return .object([
            ("origin", .object([
                ("upstream_source", .string("Koine \(KoineTrainerVersion.string) (koine export --elcc)")),
                ("paper", .string(system.paper)),
                ("game_code", system.gameCode.map { .string($0) } ?? .null),
            ])),
            ("system", .object([
                ("game_type", .string(system.gameType)), ("game_subtype", .string(system.gameSubtype)),
                ("observation_type", .string(system.observationType)),
                ("observation_continuous", .bool(system.observationContinuous)),
                ("data_source", .string(system.dataSource)),
                // The same configuration, seed and number of ranks train the same agents.
                ("seeding_available", true),
                // One message, then the listener's choice: one step, one utterance, two roles.
                ("multi_step", false), ("multi_utterance", false), ("symmetric_agents", false),
                ("more_than_2_agents", .bool(agents > 2)),
                ("population_size", .int(agents)),
                ("variants", .object([(corpus, variant)])),
            ])),
            ("koine", .object([
                ("version", .string(KoineTrainerVersion.string)), ("game", .string(configuration.game.kind.rawValue)),
                ("population", .object([
                    ("ranks", .int(run.worldSize)), ("speakers_per_rank", .int(population.speakers)),
                    ("listeners_per_rank", .int(population.listeners)), ("pairing", .string(population.pairing.rawValue)),
                    ("cross_rank", .double(population.crossRank)),
                    ("listener_reset", reset(population.listenerReset)), ("speaker_reset", reset(population.speakerReset)),
                ])),
            ])),
        ])
    }

    /// This corpus among the system's variants: what sets its run apart.
    private var variant: JSONValue {
        let game = configuration.game
        return .object([
            ("seed", .int(configuration.seed)), ("steps", .int(configuration.train.steps)),
            ("vocabulary", .int(game.vocabulary)), ("message_length", .int(game.messageLength)),
            ("variable_length", .bool(game.variableLength)), ("candidates", .int(game.candidates)),
            ("ranks", .int(run.worldSize)), ("speakers", .int(configuration.population.speakers * run.worldSize)),
            ("listeners", .int(configuration.population.listeners * run.worldSize)),
        ])
    }

    private func reset(_ settings: ResetSettings) -> JSONValue {
        .object([("mode", .string(settings.mode.rawValue)), ("every", .int(settings.every))])
    }

    /// The system's own measure of success for this corpus, where ELCC's
    /// analysis code looks for it (a fraction; some of ELCC's systems give
    /// "acc", in percent, instead): the mean reward of the exported games; for the
    /// whole lexicon, the accuracy of the evaluation that wrote it (the run's
    /// last); for part of a lexicon, none (it was measured over every speaker).
    var successRate: Double? {
        let rewards = spoken.utterances.compactMap(\.reward)
        if spoken.source == .interactions {
            return rewards.count == spoken.utterances.count && !rewards.isEmpty ? rewards.reduce(0, +) / Double(rewards.count) : nil
        }
        return rank == nil && speaker == nil ? run.summary["accuracy"] : nil
    }

    var corpusDocument: JSONValue {
        let figures = run.summary.filter { !Summary.timingFields.contains($0.key) }.sorted { $0.key < $1.key }
        return .object([
            ("system", .string(system.name)), ("corpus", .string(corpus)),
            ("source", .object([
                ("run", .string(run.name)), ("utterances_from", .string(spoken.source.rawValue)),
                ("file", .string(spoken.file)), ("step", spoken.step.map { .int($0) } ?? .null),
                ("rank", rank.map { .int($0) } ?? .null), ("speaker", speaker.map { .int($0) } ?? .null),
                ("episode", .string(spoken.source == .interactions
                    ? "one evaluation game: the speaker's greedy message, one utterance"
                    : "one lexicon line: a speaker's greedy message for one object, one utterance")),
            ])),
            ("channel", channel),
            ("analysis", analysis.json),
            ("koine_analysis", analysis.koineJSON),
            ("metrics", .object([("system", .object(successRate.map { [("success_rate", .double($0))] } ?? []))])),
            ("summary", .object(figures.map { ($0.key, .double($0.value)) })),
            ("configuration", ConfigurationJSON.value(of: configuration.tree)),
        ])
    }
}
