import KoineCollector
import KoineStudy

extension ReportPage {
    /// A run's population-based training on the page: the hyperparameter
    /// schedules, fitness and lexicon agreement charts, the family tree, the
    /// copies as a table, the members' lexicon agreement at the last round
    /// as a heat map, and what could not be read.
    static func pbtSection(_ pbt: PBTReport) -> String {
        let lineage = pbt.lineage
        var out = "<h3>Population-based training</h3>\n<p>\(lineage.members) members, \(lineage.rounds.count) round(s), "
            + "\(lineage.copies.count) copies; lineage from \(escaped(lineage.origin.rawValue)).</p>\n"
        let figures = PBTFigures.all(pbt, titled: { $0 })
        out += "<div class=\"plots\">\n"
        for (figure, svg) in figures where figure != "pbt-lineage" { out += inline(svg) + "\n" }
        out += "</div>\n"
        if let tree = figures.first(where: { $0.figure == "pbt-lineage" }) {
            out += "<h4>Lineage</h4>\n<div class=\"tree\">\n" + inline(tree.svg) + "\n</div>\n"
        }
        if !lineage.copies.isEmpty {
            out += "<h4>Copies</h4>\n<table>\n<tr><th>step</th><th>rank</th><th>copied</th><th>fitness</th><th>its fitness</th>"
                + "<th>hyperparameters (the source's → the copier's)</th></tr>\n"
            for round in lineage.rounds {
                for line in round.members.compactMap({ $0 }) where line.copied {
                    out += "<tr><td>\(round.step)</td><td>\(line.member)</td><td>\(line.source.map(String.init) ?? "unknown")</td>"
                        + "<td>\(FigureText.of(line.fitness))</td><td>\(line.sourceFitness.map(FigureText.of) ?? "?")</td>"
                        + "<td class=\"name\">\(escaped(PBTReport.hyperparameterChanges(line, round: round)))</td></tr>\n"
                }
            }
            out += "</table>\n"
        }
        if let last = pbt.agreement.last {
            out += heatMap(last.matrix, heading: "Lexicon agreement at step \(last.step)",
                           caption: "For every two members (rows and columns, in rank order), the share of objects their speakers "
                               + "name with the same message, as the round judged them (before its copies; pbt/step-N.tsv).",
                           rows: "R", columns: "R")
        }
        let notes = lineage.notes + pbt.fileNotes
        if !notes.isEmpty {
            out += "<h4>Notes</h4>\n<ul>\n" + notes.map { "<li>\(escaped($0))</li>\n" }.joined() + "</ul>\n"
        }
        return out
    }
}
