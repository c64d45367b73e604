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
        public var a = 0.0
        public var b = 0.0

        public init(dot: Double = 0, a: Double = 0, b: Double = 0) {
            self.dot = dot
            self.a = a
            self.b = b
        }

        public static func + (left: Agreement, right: Agreement) -> Agreement {
            Agreement(dot: left.dot + right.dot, a: left.a + right.a, b: left.b + right.b)
        }

        /// The agreement of `x`·a and `y`·b.
        public func scaled(_ x: Double, _ y: Double) -> Agreement {
            Agreement(dot: x * y * dot, a: x * x * a, b: y * y * b)
        }

        /// cos(a, b), or 0 when either is zero.
        public var cosine: Float { a > 0 && b > 0 ? Float(dot / (a.squareRoot() * b.squareRoot())) : 0 }

        /// PCGrad's coefficients of a and of b: 1 and 1 when they do not
        /// conflict; else a's projection removes (a·b/‖b‖²) b and b's
        /// removes (b·a/‖a‖²) a, each against the other's original gradient.
        public var projection: (a: Float, b: Float) {
            guard dot < 0 && a > 0 && b > 0 else { return (1, 1) }
            return (Float(1 - dot / a), Float(1 - dot / b))
        }
    }

    public static func agreement(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Agreement {
        var dot = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<count {
            let x = Double(a[i]), y = Double(b[i])
            dot += x * y
            aa += x * x
            bb += y * y
        }
        return Agreement(dot: dot, a: aa, b: bb)
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
        let (ca, cb) = measured.projection
        for i in 0..<count { combined[i] = ca * a[i] + cb * b[i] }
        return measured.cosine
    }
}
