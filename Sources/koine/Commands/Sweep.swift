import ArgumentParser
import Foundation
import KoineLaunch
import KoineStudy
import KoineTrainer

/// `koine sweep`: many runs of `koine train` over configs × seeds × grid
/// values, here (N at a time) or as a Slurm job array, resumable.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a grid of runs (configs × grid values × seeds), here or as a Slurm job array; rerun to resume.",
        discussion: """
            Each run is a separate `koine train` with one BLAS thread (--threads), --jobs at a time; with --np N, \
            `koine launch --np N` (N ranks under mpirun on this host). The sweep \
            directory holds every run directory (CONDITION,seed=N), logs/ and index.json. Rerunning skips finished \
            runs, resumes interrupted ones from their newest complete checkpoint and restarts the rest; \
            `koine sweep --out DIR` alone reruns the sweep in DIR, and more seeds or values add runs to it.
            Example: koine sweep --config configs/li-bowling/no-reset.yaml --config configs/li-bowling/reset.yaml \
            --seeds 1-10 --set train.steps=30000 --out sweeps/li-bowling --jobs 2
            """)

    @Option(name: .long, help: "A YAML configuration (repeatable): each is a condition, named by its file name.")
    var config: [String] = []

    @Option(name: .long, help: "Seeds: ranges and single seeds, e.g. 1-10 or 1,3,5.")
    var seeds = "1"

    @Option(name: .customLong("set"), help: "Override a key in every run, e.g. --set train.steps=30000 (repeatable).")
    var overrides: [String] = []

    @Option(name: .long, help: "Vary a key: KEY=V1,V2,... (repeatable; every combination is a condition).")
    var grid: [String] = []

    @Option(name: .long, help: "The sweep directory (created, or an existing sweep to continue or extend).")
    var out: String

    @Option(name: .long, help: "Runs at a time here; with --slurm, at most this many array tasks at once.")
    var jobs: Int?

    @Option(name: .long, help: "BLAS threads per run (per rank).")
    var threads = 1

    @Option(name: .long, help: "Where runs send telemetry (tcp://HOST:PORT, ipc://PATH or none).")
    var telemetry = "none"

    @Flag(name: .long, help: "Write DIR/slurm.sh, a Slurm job array with one task per run, and run nothing here.")
    var slurm = false

    @Option(name: .customLong("np"), help: "MPI ranks per run: here each run is `koine launch --np N`; with --slurm, each array task's. (default: 1, or the sweep's own)")
    var ranks: Int?

    func run() throws {
        guard jobs.map({ (1...100_000).contains($0) }) ?? true else { throw UsageFailure("sweep: --jobs must be from 1 to 100000 (got \(jobs ?? 0))") }
        guard (1...1024).contains(threads) else { throw UsageFailure("sweep: --threads must be from 1 to 1024 (got \(threads))") }
        // An empty directory name would put every run at the root of the file system.
        guard !out.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw UsageFailure("sweep: --out \"\(out)\": expected a directory name, found an empty one")
        }
        if let ranks, !(1...65_536).contains(ranks) { throw UsageFailure("sweep: --np must be from 1 to 65536 (got \(ranks))") }
        let index: SweepIndex
        do {
            index = try makeIndex()
        } catch let error as StudyError {
            throw UsageFailure(error.message)
        }
        try FileManager.default.createDirectory(atPath: out + "/logs", withIntermediateDirectories: true)
        if slurm {
            // The array's tasks do not write the index; what is on disk says which runs are done.
            var index = index
            for position in index.runs.indices {
                let finished = RunState.of(out + "/" + index.runs[position].directory) == .finished
                index.runs[position].status = finished ? .done : .pending
            }
            try index.save(to: out)
            return try writeSlurmScript(index)
        }
        do {
            try SweepLock.acquire(out)
        } catch let error as StudyError {
            throw UsageFailure(error.message)
        }
        try index.save(to: out)

        let settings = SweepRunner.Settings(koine: HostResources.currentExecutable(), jobs: jobs ?? 1, threads: threads,
                                            telemetry: telemetry, ranks: index.ranksPerRun)
        let runner = SweepRunner(sweep: out, index: index, settings: settings) { print($0); fflush(stdout) }
        let outcome = try runner.run()
        print("sweep \(out): \(outcome.trained) trained, \(outcome.skipped) already finished, \(outcome.failed) failed"
              + (outcome.failed > 0 ? " (rerun to resume them)" : "") + "; compare with: koine compare \(out)")
        if outcome.failed > 0 { throw ExitCode(1) }
    }

    /// The sweep's index: the plan of the options, merged into DIR's index when there is one.
    private func makeIndex() throws -> SweepIndex {
        var index = try plannedIndex()
        // Checkpoints hold one world size, so a sweep keeps its ranks per run.
        if let ranks, ranks != index.ranksPerRun, !index.runs.isEmpty, FileManager.default.fileExists(atPath: SweepIndex.path(in: out)) {
            throw StudyError("sweep: the runs of \(out) have \(index.ranksPerRun) rank(s) each; rerun with --np \(index.ranksPerRun) (or no --np), or use another --out")
        }
        if let ranks { index.ranks = ranks > 1 ? ranks : nil }
        return index
    }

    private func plannedIndex() throws -> SweepIndex {
        let existing = try SweepIndex.load(from: out)
        if existing == nil, let entries = try? FileManager.default.contentsOfDirectory(atPath: out), !entries.isEmpty {
            throw StudyError("--out \(out): not empty and not a sweep (no index.json)")
        }
        if config.isEmpty {
            guard let existing else { throw StudyError("sweep: give at least one --config FILE (or --out DIR of an existing sweep)") }
            return existing
        }
        let plan = try SweepPlan.runs(configs: config, seeds: try SeedList.parse(seeds), overrides: overrides,
                                      grid: try grid.map(GridAxis.parse))
        // Each condition's configuration is read once here, so a bad key or
        // value is one line now rather than a failure in every run.
        var checked = Set<String>()
        for run in plan where checked.insert(run.condition).inserted {
            do {
                _ = try Configuration.load(file: run.config, overrides: run.overrides)
            } catch let error as ConfigurationError {
                throw StudyError(error.message)
            }
        }
        return try existing?.merging(plan) ?? SweepIndex(runs: plan)
    }

    private func writeSlurmScript(_ index: SweepIndex) throws {
        let sweep = URL(fileURLWithPath: out).standardizedFileURL.path
        let path = sweep + "/slurm.sh"
        let script = SlurmArrayScript(
            name: "koine-sweep-" + URL(fileURLWithPath: sweep).lastPathComponent, path: path,
            tasks: index.runs.map {
                .init(directory: sweep + "/" + $0.directory, config: URL(fileURLWithPath: $0.config).standardizedFileURL.path,
                      overrides: $0.overrides)
            },
            koine: HostResources.currentExecutable(), logs: sweep + "/logs", ranks: index.ranksPerRun, threads: threads,
            telemetry: telemetry, concurrent: jobs)
        try script.text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        let done = index.runs.filter { $0.status == .done }.count
        print("wrote \(path): \(index.runs.count) array tasks (\(script.arrayRange)), \(index.ranksPerRun) rank(s) each, \(done) already finished; "
              + "submit with: sbatch \(path)")
    }
}
