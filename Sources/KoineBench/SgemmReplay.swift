import CBLAS
import Foundation
import KoineTensor

/// Replays lists of products through `cblas_sgemm` on scratch buffers big
/// enough for every product it was made to fit.
public struct SgemmReplay {
    public let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>

    public init(fitting shapes: [GemmShape]) {
        let size = max(1, shapes.map { max($0.m * $0.k, $0.k * $0.n, $0.m * $0.n) }.max() ?? 1)
        a = .allocate(capacity: size); b = .allocate(capacity: size); c = .allocate(capacity: size)
        a.initialize(repeating: 0.01, count: size); b.initialize(repeating: 0.02, count: size)
        c.initialize(repeating: 0, count: size)
    }

    public func deallocate() {
        a.deallocate(); b.deallocate(); c.deallocate()
    }

    /// Best seconds per pass over `shapes`, through raw `cblas_sgemm` or,
    /// with `koine`, through `BLAS.gemm` as training calls it (small
    /// products in Koine's own kernels).
    public func time(_ shapes: [GemmShape], iterations: Int, rounds: Int, koine: Bool = false) -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations {
                for s in shapes {
                    if koine {
                        BLAS.gemm(Matrix(a, rows: s.transposeA ? s.k : s.m, columns: s.transposeA ? s.m : s.k),
                                  transposeA: s.transposeA,
                                  Matrix(b, rows: s.transposeB ? s.n : s.k, columns: s.transposeB ? s.k : s.n),
                                  transposeB: s.transposeB, into: Matrix(c, rows: s.m, columns: s.n), beta: 1)
                        continue
                    }
                    let m = Int32(s.m), n = Int32(s.n), k = Int32(s.k)
                    cblas_sgemm(CblasRowMajor, s.transposeA ? CblasTrans : CblasNoTrans,
                                s.transposeB ? CblasTrans : CblasNoTrans, m, n, k, 1,
                                a, s.transposeA ? m : k, b, s.transposeB ? k : n, 1, c, n)
                }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / Double(iterations))
        }
        return best
    }
}
