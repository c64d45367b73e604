import KoineCluster
import KoineTelemetry

/// An evaluation averaged over ranks, with the spread of the main figures.
public struct ReducedEvaluation {
    public let local: PopulationEvaluation
    public var accuracy: Double
    public var accuracyMinimum: Double
    public var accuracyMaximum: Double
    public var topographicSimilarity: Double
    public var topographicSimilarityMinimum: Double
    public var topographicSimilarityMaximum: Double
    public var positionalDisentanglement: Double
    public var bagOfSymbolsDisentanglement: Double
    public var entropy: Double
    public var lexiconSize: Double
    public var heldoutAccuracy: Double?

    /// A collective: every rank calls it with its own evaluation.
    init(local: PopulationEvaluation, communicator: Communicator) throws {
        self.local = local
        var sums = [local.accuracy, local.topographicSimilarity, local.positionalDisentanglement,
                    local.bagOfSymbolsDisentanglement, local.entropy, local.lexiconSize, local.heldoutAccuracy ?? 0]
        var minima = [local.accuracy, local.topographicSimilarity]
        var maxima = minima
        try communicator.allreduceSum(&sums, count: sums.count)
        try communicator.allreduceMin(&minima, count: minima.count)
        try communicator.allreduceMax(&maxima, count: maxima.count)
        let n = Double(communicator.size)
        accuracy = sums[0] / n
        topographicSimilarity = sums[1] / n
        positionalDisentanglement = sums[2] / n
        bagOfSymbolsDisentanglement = sums[3] / n
        entropy = sums[4] / n
        lexiconSize = sums[5] / n
        heldoutAccuracy = local.heldoutAccuracy == nil ? nil : sums[6] / n
        accuracyMinimum = minima[0]
        topographicSimilarityMinimum = minima[1]
        accuracyMaximum = maxima[0]
        topographicSimilarityMaximum = maxima[1]
    }

    var fields: [(String, JSONValue)] {
        var out: [(String, JSONValue)] = [
            ("accuracy", .double(accuracy)),
            ("topsim", .double(topographicSimilarity)),
            ("posdis", .double(positionalDisentanglement)),
            ("bosdis", .double(bagOfSymbolsDisentanglement)),
            ("entropy", .double(entropy)),
            ("lexicon_size", .double(lexiconSize)),
        ]
        if let heldoutAccuracy { out.append(("heldout_accuracy", .double(heldoutAccuracy))) }
        out += [
            ("accuracy_min", .double(accuracyMinimum)), ("accuracy_max", .double(accuracyMaximum)),
            ("topsim_min", .double(topographicSimilarityMinimum)), ("topsim_max", .double(topographicSimilarityMaximum)),
        ]
        return out
    }
}
