/// Distance between meanings for topographic similarity.
public enum MeaningDistance: String, CaseIterable {
    /// Cosine distance of the concatenated one-hot attribute vectors (Li & Bowling).
    case cosine
    /// Number of attributes whose values differ.
    case hamming
}

/// Topographic similarity (Brighton & Kirby 2006): the Spearman correlation,
/// over pairs of objects, between meaning distance and the Levenshtein
/// distance of their messages.
public enum TopographicSimilarity {
    /// Over the distinct unordered pairs of objects (Koine's `topsim`).
    public static func measure(lexicon: Lexicon, space: ObjectSpace, objects: [Int]? = nil, distance: MeaningDistance) -> Double {
        correlation(lexicon: lexicon, space: space, objects: objects, distance: distance, orderedPairs: false)
    }

    /// Li & Bowling's definition, as their code computes it: the negated
    /// Spearman correlation between cosine similarity and Levenshtein distance
    /// over all n × n ordered pairs, the n self-pairs included
    /// (`topsim_li_bowling`). Negating the similarity makes it the cosine
    /// distance, so this is `measure` over ordered pairs with self-pairs.
    public static func liBowling(lexicon: Lexicon, space: ObjectSpace) -> Double {
        correlation(lexicon: lexicon, space: space, objects: nil, distance: .cosine, orderedPairs: true)
    }

    static func correlation(lexicon: Lexicon, space: ObjectSpace, objects: [Int]?, distance: MeaningDistance,
                            orderedPairs: Bool) -> Double {
        let ids = objects ?? Array(0..<space.count)
        let values = ids.map { space.values(of: $0) }
        let messages = ids.map { lexicon.trimmed($0) }
        var meanings: [Double] = [], forms: [Double] = []
        meanings.reserveCapacity(orderedPairs ? ids.count * ids.count : ids.count * (ids.count - 1) / 2)
        forms.reserveCapacity(meanings.capacity)
        let n = space.attributes.count
        for i in 0..<ids.count {
            for j in (orderedPairs ? 0 : i + 1)..<max(ids.count, i + 1) {
                let differing = (0..<n).filter { values[i][$0] != values[j][$0] }.count
                switch distance {
                case .hamming:
                    meanings.append(Double(differing))
                case .cosine:
                    // Each object has n ones; shared ones are the equal attributes.
                    meanings.append(1 - Double(n - differing) / Double(n))
                }
                forms.append(Double(Levenshtein.distance(messages[i], messages[j])))
            }
        }
        return Spearman.correlation(meanings, forms)
    }
}

public enum Levenshtein {
    /// Edit distance (insertions, deletions, substitutions, each cost 1).
    public static func distance(_ a: [Int], _ b: [Int]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

public enum Spearman {
    /// Pearson correlation of the ranks (ties take their average rank).
    /// Returns 0 when either side is constant.
    public static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count)
        return pearson(ranks(x), ranks(y))
    }

    public static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for k in start...end { result[order[k]] = rank }
            start = end + 1
        }
        return result
    }

    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        guard n > 1 else { return 0 }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return 0 }
        return sxy / (sxx * syy).squareRoot()
    }
}
