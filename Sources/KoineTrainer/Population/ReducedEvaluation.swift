import KoineCluster
import KoineGame
import KoineTelemetry

/// An evaluation averaged over ranks, with the spread of the game's main figures.
public struct ReducedEvaluation {
    public let local: GameEvaluation
    /// Each figure's mean over ranks, in the game's order.
    public private(set) var figures: [(name: String, value: Double)]
    /// The smallest and largest value over ranks of each of the game's spread figures.
    public private(set) var spread: [(name: String, minimum: Double, maximum: Double)]
    /// Every speaker with every listener, across ranks, when the game plays lexicons.
    public let crossPlay: CrossPlay?

    /// A collective: every rank calls it with its own evaluation.
    init(local: GameEvaluation, crossPlay: CrossPlay? = nil, communicator: Communicator) throws {
        self.local = local
        self.crossPlay = crossPlay
        var sums = local.figures.map(\.value)
        var minima = local.spreadFigures.map { local[$0] ?? 0 }
        var maxima = minima
        try communicator.allreduceSum(&sums, count: sums.count)
        try communicator.allreduceMin(&minima, count: minima.count)
        try communicator.allreduceMax(&maxima, count: maxima.count)
        let n = Double(communicator.size)
        // Cross-play's figures are the whole job's already: not averaged.
        figures = zip(local.figures, sums).map { ($0.name, $1 / n) } + (crossPlay?.figures ?? [])
        spread = local.spreadFigures.indices.map { (local.spreadFigures[$0], minima[$0], maxima[$0]) }
    }

    public subscript(name: String) -> Double? {
        figures.first { $0.name == name }?.value
    }

    /// The figures, then each spread figure's minimum and maximum.
    var fields: [(String, JSONValue)] {
        figures.map { ($0.name, .double($0.value)) }
            + spread.flatMap { [("\($0.name)_min", JSONValue.double($0.minimum)), ("\($0.name)_max", .double($0.maximum))] }
            + (crossPlay.map { [("crossplay", $0.json)] } ?? [])
    }
}
