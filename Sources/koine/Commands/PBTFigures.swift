import KoineCollector
import KoineStudy

/// The drawings of a run's population-based training, for `koine report
/// --plot` and `--html`: a chart per explored hyperparameter (a step-shaped
/// line per member: its value changes only at rounds), the members' fitness
/// at each round, the family tree, and how far the lexicons agree round
/// after round.
enum PBTFigures {
    /// Each figure's name (for file names) and SVG document.
    static func all(_ pbt: PBTReport, titled title: (String) -> String) -> [(figure: String, svg: String)] {
        let lineage = pbt.lineage
        let members = 0..<lineage.members
        var figures: [(figure: String, svg: String)] = []
        for name in lineage.hyperparameters {
            // Learning rates are explored log-uniformly over decades: drawn on a logarithmic axis too.
            let logarithmic = name == "learning_rate"
            var chart = LineChart(title: title("\(name) per member"), xLabel: "step", yLabel: name + (logarithmic ? " (log scale)" : ""),
                                  series: members.map { member in
                                      LineChart.Series(name: "rank \(member)", points: lineage.schedule(name, member: member, end: pbt.lastStep)
                                          .map { LineChart.Point(x: Double($0.step), y: $0.value) })
                                  })
            chart.yLogarithmic = logarithmic
            chart.xFromZero = true
            figures.append(("pbt-\(name)", chart.svg()))
        }
        let fitness = LineChart(title: title("fitness per member"), xLabel: "step", yLabel: "fitness", series: members.map { member in
            LineChart.Series(name: "rank \(member)", points: lineage.fitness(member: member).map { LineChart.Point(x: Double($0.step), y: $0.value) })
        })
        figures.append(("pbt-fitness", fitness.svg()))
        figures.append(("pbt-lineage", diagram(lineage, title: title("lineage")).svg()))
        let summaries = pbt.agreementSummaries
        if !summaries.isEmpty {
            let lines: [(String, KeyPath<PBTReport.AgreementSummary, Double>)] = [
                ("every pair", \.everyPair), ("copier and source, before the copy", \.copierAndSource),
                ("copier and source, a round after", \.copiedARoundBefore),
            ]
            var chart = LineChart(title: title("lexicon agreement"), xLabel: "step", yLabel: "share of objects with the same message",
                                  series: lines.map { name, figure in
                                      LineChart.Series(name: name, points: summaries.map { LineChart.Point(x: Double($0.step), y: $0[keyPath: figure]) })
                                  })
            chart.xFromZero = true
            figures.append(("pbt-lexicon-agreement", chart.svg()))
        }
        return figures
    }

    /// The family tree: the start, then a column per round, each member's
    /// parent the member its edge comes from.
    static func diagram(_ lineage: PopulationLineage, title: String) -> LineageDiagram {
        let founders = lineage.founders
        var parents = [[Int?]](repeating: [Int?](repeating: nil, count: lineage.members), count: lineage.rounds.count + 1)
        for edge in lineage.edges { parents[edge.column][edge.to] = edge.from }
        let start = (0..<lineage.members).map { LineageDiagram.Node(parent: nil, family: $0, note: "rank \($0) at the start") }
        let rounds = lineage.rounds.enumerated().map { index, round in
            round.members.enumerated().map { member, line in
                LineageDiagram.Node(parent: parents[index + 1][member], family: founders[index + 1][member],
                                    note: note(line, member: member, step: round.step))
            }
        }
        return LineageDiagram(title: title, columns: ["start"] + lineage.rounds.map { String($0.step) },
                              rows: (0..<lineage.members).map { "rank \($0)" }, nodes: [start] + rounds)
    }

    /// What a round said of a member, for the dot's hover text.
    static func note(_ line: PBTMemberRound?, member: Int, step: Int) -> String {
        guard let line else { return "rank \(member) after step \(step): no line" }
        let fitness = "fitness \(FigureText.of(line.fitness))"
        guard line.copied else { return "rank \(member) after step \(step): \(fitness), kept its state" }
        let source = line.source.map { "rank \($0)" } ?? "an unknown member"
        return "rank \(member) after step \(step): \(fitness), copied \(source) (fitness \(line.sourceFitness.map(FigureText.of) ?? "?"))"
    }
}
