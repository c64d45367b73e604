import CBLAS
import Foundation
import KoineTelemetry
import KoineTensor

/// The buffers and the two timed loops of `koine bench lstm`.
public struct LSTMBenchmark {
    public let batch: Int, input: Int, hidden: Int
    let arena: Arena
    let parameters: Parameters
    let cell: LSTMCell
    let x: Matrix, h: Matrix, c: Matrix, hOut: Matrix
    let cache: LSTMCell.Cache
    let dh: Matrix, dc: Matrix, dx: Matrix, dhIn: Matrix, dcIn: Matrix

    public init(batch: Int, input: Int, hidden: Int) {
        self.batch = batch
        self.input = input
        self.hidden = hidden
        let arena = Arena()
        let parameters = Parameters(count: LSTMCell.parameterCount(input: input, hidden: hidden))
        cell = LSTMCell(input: input, hidden: hidden, parameters: parameters)
        var random = Random(seed: 1)
        parameters.initialize(using: &random)
        func filled(_ rows: Int, _ columns: Int) -> Matrix {
            let m = arena.matrix(rows: rows, columns: columns)
            for r in 0..<rows { for j in 0..<columns { m[r, j] = random.nextFloat() - 0.5 } }
            return m
        }
        x = filled(batch, input); h = filled(batch, hidden); c = filled(batch, hidden)
        dh = filled(batch, hidden); dc = filled(batch, hidden)
        hOut = arena.matrix(rows: batch, columns: hidden)
        dx = arena.matrix(rows: batch, columns: input)
        dhIn = arena.matrix(rows: batch, columns: hidden)
        dcIn = arena.matrix(rows: batch, columns: hidden)
        cache = LSTMCell.Cache(batch: batch, hidden: hidden, arena: arena)
        self.arena = arena
        self.parameters = parameters
    }

    /// The six products of a step, each `(name, m, n, k)`, FLOPs 2·m·n·k.
    public var products: [(name: String, m: Int, n: Int, k: Int)] {
        let g = 4 * hidden
        return [
            ("fwd x·Wx", batch, g, input), ("fwd h·Wh", batch, g, hidden),
            ("bwd dWx = xᵀ·dG", input, g, batch), ("bwd dWh = hᵀ·dG", hidden, g, batch),
            ("bwd dx = dG·Wxᵀ", batch, input, g), ("bwd dh = dG·Whᵀ", batch, hidden, g),
        ]
    }

    public var flopsPerStep: Int { products.reduce(0) { $0 + 2 * $1.m * $1.n * $1.k } }

    public func engineStep() {
        cell.forward(input: x, hiddenIn: h, cellIn: c, cache: cache, hiddenOut: hOut)
        cell.backward(input: x, hiddenIn: h, cellIn: c, cache: cache, hiddenGradient: dh, cellGradient: dc,
                      inputGradient: dx, hiddenInGradient: dhIn, cellInGradient: dcIn)
    }

    /// The same six cblas_sgemm calls (shapes, transposes, betas, buffers), nothing else.
    public func sgemmStep() {
        let g = Int32(4 * hidden), b = Int32(batch), i = Int32(input), hh = Int32(hidden)
        let gates = cache.gates.base, dG = cache.gateGradients.base
        let wx = cell.inputWeight.value.base, wh = cell.hiddenWeight.value.base
        let dWx = cell.inputWeight.gradient.base, dWh = cell.hiddenWeight.gradient.base
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, g, i, 1, x.base, i, wx, g, 1, gates, g)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, g, hh, 1, h.base, hh, wh, g, 1, gates, g)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i, g, b, 1, x.base, i, dG, g, 1, dWx, g)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hh, g, b, 1, h.base, hh, dG, g, 1, dWh, g)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, i, g, 1, dG, g, wx, g, 0, dx.base, i)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, hh, g, 1, dG, g, wh, g, 0, dhIn.base, hh)
    }

    public struct Result {
        public let benchmark: (batch: Int, input: Int, hidden: Int, steps: Int, rounds: Int)
        public let flops: Int
        public let products: [(name: String, m: Int, n: Int, k: Int)]
        public let engine: [Double]   // seconds per step, one per round
        public let sgemm: [Double]

        public static func best(_ xs: [Double]) -> Double { xs.min() ?? .nan }
        public static func median(_ xs: [Double]) -> Double {
            let s = xs.sorted()
            return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
        }
        public func gflops(_ seconds: Double) -> Double { Double(flops) / seconds / 1e9 }

        public func table(threads: Int) -> String {
            let b = benchmark
            func row(_ name: String, _ times: [Double]) -> String {
                let best = Result.best(times), median = Result.median(times)
                return pad(name, 30) + padLeft(String(format: "%.1f µs", best * 1e6), 12)
                    + padLeft(String(format: "%.1f", gflops(best)), 12)
                    + padLeft(String(format: "%.1f µs", median * 1e6), 14)
                    + padLeft(String(format: "%.1f", gflops(median)), 14)
            }
            var lines = [
                "koine bench lstm: batch \(b.batch), input \(b.input), hidden \(b.hidden); OpenBLAS threads \(threads) (\(OpenBLASKernels.coreName)), Koine's kernels \(VectorKernels.selected.rawValue); "
                    + "\(b.rounds) rounds × \(b.steps) steps",
                "",
                pad("", 30) + padLeft("best/step", 12) + padLeft("GFLOP/s", 12) + padLeft("median/step", 14) + padLeft("GFLOP/s", 14),
                row("engine: LSTM forward+backward", engine),
                row("raw cblas_sgemm, same 6 calls", sgemm),
                pad("engine / sgemm", 30) + padLeft("", 12)
                    + padLeft(String(format: "%.1f%%", 100 * Result.best(sgemm) / Result.best(engine)), 12)
                    + padLeft("", 14)
                    + padLeft(String(format: "%.1f%%", 100 * Result.median(sgemm) / Result.median(engine)), 14),
                "",
                "FLOPs per step: \(grouped(flops)) = Σ 2·m·n·k over the products (elementwise work not counted):",
            ]
            for p in products {
                lines.append("  " + pad(p.name, 20) + padLeft("\(p.m)×\(p.n)×\(p.k)", 14) + padLeft(grouped(2 * p.m * p.n * p.k), 14))
            }
            return lines.joined(separator: "\n")
        }

        public func json(threads: Int) -> String {
            let b = benchmark
            // Rounded to `places` decimals: more digits than that are noise.
            func rounded(_ value: Double, _ places: Int) -> JSONValue {
                let scale = pow(10, Double(places))
                return .double((value * scale).rounded() / scale)
            }
            return JSONValue.object([
                ("benchmark", "lstm"), ("batch", .int(b.batch)), ("input", .int(b.input)), ("hidden", .int(b.hidden)),
                ("steps", .int(b.steps)), ("rounds", .int(b.rounds)), ("blas_threads", .int(threads)),
                ("flops_per_step", .int(flops)),
                ("engine_seconds_per_step", .double(Result.best(engine))),
                ("sgemm_seconds_per_step", .double(Result.best(sgemm))),
                ("engine_gflops", rounded(gflops(Result.best(engine)), 3)),
                ("sgemm_gflops", rounded(gflops(Result.best(sgemm)), 3)),
                ("ratio", rounded(Result.best(sgemm) / Result.best(engine), 4)),
                ("engine_median_gflops", rounded(gflops(Result.median(engine)), 3)),
                ("sgemm_median_gflops", rounded(gflops(Result.median(sgemm)), 3)),
            ]).serialized
        }
    }

    public func run(steps: Int, rounds: Int) -> Result {
        // Warm up both paths (BLAS buffers, caches, page faults).
        for _ in 0..<max(10, steps / 10) { engineStep(); sgemmStep() }
        var engine: [Double] = [], sgemm: [Double] = []
        // Interleaved rounds, so a burst of load from elsewhere hits both.
        for _ in 0..<rounds {
            engine.append(time(steps) { engineStep() })
            sgemm.append(time(steps) { sgemmStep() })
        }
        return Result(benchmark: (batch, input, hidden, steps, rounds), flops: flopsPerStep, products: products,
                      engine: engine, sgemm: sgemm)
    }

    private func time(_ steps: Int, _ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { body() }
        let end = DispatchTime.now().uptimeNanoseconds
        return Double(end - start) / 1e9 / Double(steps)
    }
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

private func padLeft(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

private func grouped(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return out
}
