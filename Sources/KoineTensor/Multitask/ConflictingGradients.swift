/// Two tasks' gradients on the same shared parameters: how much they agree
/// (their cosine) and PCGrad's combination of them (Yu et al. 2020, "Gradient
/// surgery for multi-task learning"): when the two conflict — a negative dot
/// product — each is projected onto the normal plane of the other before
/// they are summed, so neither task's step undoes the other's.
public enum ConflictingGradients {
    /// The dot product and both squared norms, accumulated in Double.
    static func products(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> (dot: Double, a: Double, b: Double) {
        var dot = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<count {
            let x = Double(a[i]), y = Double(b[i])
            dot += x * y
            aa += x * x
            bb += y * y
        }
        return (dot, aa, bb)
    }

    /// cos(a, b), or 0 when either is zero.
    public static func cosine(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        cosine(products(a, b, count: count))
    }

    static func cosine(_ products: (dot: Double, a: Double, b: Double)) -> Float {
        products.a > 0 && products.b > 0 ? Float(products.dot / (products.a.squareRoot() * products.b.squareRoot())) : 0
    }

    /// Writes PCGrad's combination of `a` and `b` into `combined` (which may
    /// be either): their sum when they do not conflict, else
    /// (a − (a·b/‖b‖²) b) + (b − (b·a/‖a‖²) a), each projected against the
    /// other's original gradient. Returns their cosine before projection.
    @discardableResult
    public static func combine(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                               into combined: UnsafeMutablePointer<Float>) -> Float {
        let measured = products(a, b, count: count)
        let (dot, aa, bb) = measured
        // Coefficients of a and b in the combination.
        var ca: Float = 1, cb: Float = 1
        if dot < 0 {
            ca -= Float(dot / aa)   // b's projection removes (b·a/‖a‖²) a
            cb -= Float(dot / bb)   // a's projection removes (a·b/‖b‖²) b
        }
        for i in 0..<count { combined[i] = ca * a[i] + cb * b[i] }
        return cosine(measured)
    }
}
