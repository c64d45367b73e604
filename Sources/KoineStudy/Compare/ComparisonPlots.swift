import Foundation

/// The curves of `koine compare`: every evaluation figure and the training
/// accuracy over training (mean over a condition's runs at each step, with its
/// 95% confidence band; resets as ticks along the bottom), and the final
/// ease-of-teaching curve of each condition; and each final figure per run.
public enum ComparisonPlots {
    /// Charts by file name (without extension).
    public static func charts(_ conditions: [Condition]) -> [(name: String, chart: LineChart)] {
        let runs = conditions.flatMap(\.runs)
        var charts: [(String, LineChart)] = []
        let evaluated = Comparison.figureNames(runs, summaries: false)
        for figure in evaluated {
            let series = conditions.map { condition in
                LineChart.Series(name: legend(condition), points: meanCurve(condition.runs.map { run in
                    run.evaluations.compactMap { evaluation in evaluation.figures[figure].map { (Double(evaluation.step), $0) } }
                }), marks: resetMarks(condition))
            }
            charts.append((figure, stepChart(title: "\(figure) at evaluations (mean, 95% CI)", yLabel: figure, series: series)))
        }
        if runs.contains(where: { !$0.trainingAccuracy.isEmpty }) {
            let series = conditions.map { condition in
                LineChart.Series(name: legend(condition), points: meanCurve(condition.runs.map { run in
                    run.trainingAccuracy.map { (Double($0.step), $0.value) }
                }), marks: resetMarks(condition))
            }
            charts.append(("training_accuracy", stepChart(title: "training accuracy (mean, 95% CI)", yLabel: "training accuracy",
                                                          series: series)))
        }
        if runs.contains(where: { !$0.easeOfTeaching.isEmpty }) {
            let areas = conditions.map { condition in
                LineChart.Series(name: legend(condition), points: meanCurve(condition.runs.map { run in
                    run.easeOfTeaching.map { (Double($0.step), $0.area) }
                }), marks: resetMarks(condition))
            }
            charts.append(("ease_of_teaching_area", stepChart(
                title: "ease of teaching over training: area under fresh listeners' curve (mean, 95% CI)",
                yLabel: "ease of teaching", series: areas)))
            let series = conditions.map { condition in
                LineChart.Series(name: legend(condition), points: meanCurve(condition.runs.compactMap { run in
                    run.easeOfTeaching.last.map { last in
                        last.curve.enumerated().map { (Double($0.offset + 1) / Double(last.curve.count), $0.element) }
                    }
                }))
            }
            charts.append(("ease_of_teaching", LineChart(
                title: "ease of teaching: fresh listeners' accuracy, last measurement (mean, 95% CI)",
                xLabel: "fraction of the fresh listener's training", yLabel: "training accuracy", series: series)))
        }
        return charts
    }

    /// Per figure of the runs' summaries, each run's final value by condition
    /// beside the condition's mean and 95% CI: file names `final-FIGURE`.
    public static func strips(_ conditions: [Condition]) -> [(name: String, chart: StripChart)] {
        let finished = conditions.flatMap(\.finished)
        let figures = Comparison.figureNames(finished).filter { name in finished.contains { $0.summary?[name] != nil } }
        return figures.map { figure in
            ("final-" + figure, StripChart(
                title: "\(figure) at the end of each run (mean, 95% CI)", yLabel: figure,
                groups: conditions.map { condition in
                    StripChart.Group(name: condition.name, runs: condition.finished.compactMap { run in
                        run.summary?[figure].map { (run.seed, $0) }
                    })
                }))
        }
    }

    /// A chart over training steps, from step 0.
    private static func stepChart(title: String, yLabel: String, series: [LineChart.Series]) -> LineChart {
        var chart = LineChart(title: title, xLabel: "step", yLabel: yLabel, series: series)
        chart.xFromZero = true
        return chart
    }

    private static func legend(_ condition: Condition) -> String { "\(condition.name) (n=\(condition.runs.count))" }

    /// The mean over curves at every x any of them has, with a confidence band
    /// where at least two have it.
    static func meanCurve(_ curves: [[(Double, Double)]]) -> [LineChart.Point] {
        var byX: [Double: [Double]] = [:]
        for curve in curves {
            for (x, y) in curve { byX[x, default: []].append(y) }
        }
        return byX.keys.sorted().compactMap { x in
            guard let sample = Sample(byX[x]!) else { return nil }
            return LineChart.Point(x: x, y: sample.mean, low: sample.halfWidth.map { sample.mean - $0 },
                                   high: sample.halfWidth.map { sample.mean + $0 })
        }
    }

    /// Every step before which some run of the condition reset an agent.
    private static func resetMarks(_ condition: Condition) -> [Double] {
        Set(condition.runs.flatMap(\.resets)).sorted().map(Double.init)
    }
}
