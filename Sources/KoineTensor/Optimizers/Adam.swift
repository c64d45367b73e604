#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if arch(x86_64)
import KoineAVX512
#endif

/// Adam (Kingma & Ba 2015) with bias correction, as PyTorch computes it.
public final class Adam: Optimizer {
    public let parameters: Parameters
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public var steps = 0
    private let firstMoment: UnsafeMutablePointer<Float>
    private let secondMoment: UnsafeMutablePointer<Float>
    /// The width of the update's loop (the same values either way).
    public let kernels: VectorKernels

    public init(parameters: Parameters, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                kernels: VectorKernels = .selected) {
        self.parameters = parameters
        self.kernels = kernels
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        let n = max(parameters.count, 1)
        firstMoment = .allocate(capacity: n)
        secondMoment = .allocate(capacity: n)
        firstMoment.initialize(repeating: 0, count: n)
        secondMoment.initialize(repeating: 0, count: n)
    }

    deinit {
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    public func update(clearingGradients: Bool) {
        steps += 1
        let correction1 = 1 - powf(beta1, Float(steps))
        let correction2 = 1 - powf(beta2, Float(steps))
        let stepSize = learningRate / correction1
        let root2 = correction2.squareRoot()
        let b1 = beta1, b2 = beta2, eps = epsilon
        let p = parameters.values, g = parameters.gradients, m = firstMoment, v = secondMoment
        let count = parameters.count
        let inverseRoot = 1 / root2
        #if arch(x86_64)
        // Bound by its square roots and divisions: sixteen lanes do twice the work an instruction.
        if kernels == .avx512 {
            AdamUpdate.run(values: p, gradients: g, firstMoment: m, secondMoment: v, count: count,
                           stepSize: stepSize, inverseRoot: inverseRoot, beta1: b1, beta2: b2, epsilon: eps,
                           clearingGradients: clearingGradients)
            return
        }
        #endif
        // Release builds compile without errno (Package.swift), so the square
        // root vectorises; the flag is tested outside the loops.
        if clearingGradients {
            for i in 0..<count {
                let gi = g[i]
                g[i] = 0
                let mi = b1 * m[i] + (1 - b1) * gi
                let vi = b2 * v[i] + (1 - b2) * gi * gi
                m[i] = mi
                v[i] = vi
                p[i] -= stepSize * mi / (vi.squareRoot() * inverseRoot + eps)
            }
        } else {
            for i in 0..<count {
                let gi = g[i]
                let mi = b1 * m[i] + (1 - b1) * gi
                let vi = b2 * v[i] + (1 - b2) * gi * gi
                m[i] = mi
                v[i] = vi
                p[i] -= stepSize * mi / (vi.squareRoot() * inverseRoot + eps)
            }
        }
    }

    public func reset() {
        steps = 0
        firstMoment.update(repeating: 0, count: parameters.count)
        secondMoment.update(repeating: 0, count: parameters.count)
    }

    public var stateBuffers: [UnsafeMutableBufferPointer<Float>] {
        [.init(start: firstMoment, count: parameters.count), .init(start: secondMoment, count: parameters.count)]
    }
}
