/// Two tasks' gradients on the same shared parameters: how much they agree
/// (their cosine) and PCGrad's combination of them (Yu et al. 2020, "Gradient
/// surgery for multi-task learning"): when the two conflict — a negative dot
/// product — each is projected onto the normal plane of the other before
/// they are summed, so neither task's step undoes the other's.
public enum ConflictingGradients {
    /// The dot product of two gradients and their squared norms, in Double;
    /// sums over blocks of a vector add up.
    public struct Agreement: Equatable {
        public var dot = 0.0
        public var firstSquaredNorm = 0.0
        public var secondSquaredNorm = 0.0

        public init(dot: Double = 0, firstSquaredNorm: Double = 0, secondSquaredNorm: Double = 0) {
            self.dot = dot
            self.firstSquaredNorm = firstSquaredNorm
            self.secondSquaredNorm = secondSquaredNorm
        }

        public static func + (left: Agreement, right: Agreement) -> Agreement {
            Agreement(dot: left.dot + right.dot, firstSquaredNorm: left.firstSquaredNorm + right.firstSquaredNorm,
                      secondSquaredNorm: left.secondSquaredNorm + right.secondSquaredNorm)
        }

        /// The agreement of the first gradient times `first` with the second times `second`.
        public func scaled(first: Double, second: Double) -> Agreement {
            Agreement(dot: first * second * dot, firstSquaredNorm: first * first * firstSquaredNorm,
                      secondSquaredNorm: second * second * secondSquaredNorm)
        }

        /// The cosine of the two, or 0 when either is zero.
        public var cosine: Float {
            guard firstSquaredNorm > 0 && secondSquaredNorm > 0 else { return 0 }
            return Float(dot / (firstSquaredNorm.squareRoot() * secondSquaredNorm.squareRoot()))
        }

        /// PCGrad's coefficients of the first gradient and of the second: 1
        /// and 1 when they do not conflict; else the first's projection
        /// removes (a·b/‖b‖²) b and the second's (b·a/‖a‖²) a, each against
        /// the other's original gradient.
        public var projection: (first: Float, second: Float) {
            guard dot < 0 && firstSquaredNorm > 0 && secondSquaredNorm > 0 else { return (1, 1) }
            return (Float(1 - dot / firstSquaredNorm), Float(1 - dot / secondSquaredNorm))
        }
    }

    public static func agreement(_ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>, count: Int) -> Agreement {
        var dot = 0.0, firstSquared = 0.0, secondSquared = 0.0
        for i in 0..<count {
            let x = Double(first[i]), y = Double(second[i])
            dot += x * y
            firstSquared += x * x
            secondSquared += y * y
        }
        return Agreement(dot: dot, firstSquaredNorm: firstSquared, secondSquaredNorm: secondSquared)
    }

    /// cos(a, b), or 0 when either is zero.
    public static func cosine(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        agreement(a, b, count: count).cosine
    }

    /// Writes PCGrad's combination of `a` and `b` into `combined` (which may
    /// be either): their sum when they do not conflict, else
    /// (a − (a·b/‖b‖²) b) + (b − (b·a/‖a‖²) a). Returns their cosine before projection.
    @discardableResult
    public static func combine(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                               into combined: UnsafeMutablePointer<Float>) -> Float {
        let measured = agreement(a, b, count: count)
        let (first, second) = measured.projection
        for i in 0..<count { combined[i] = first * a[i] + second * b[i] }
        return measured.cosine
    }
}
