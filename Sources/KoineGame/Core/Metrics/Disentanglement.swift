/// Positional and bag-of-symbols disentanglement (Chaabouni et al. 2020).
///
/// For each position (posdis) or symbol count (bosdis), the gap between the
/// mutual information with the most and the second most informative
/// attribute, divided by the entropy of that position or count; averaged
/// over positions or symbols (those with zero entropy count as 0).
public enum Disentanglement {
    public static func positional(lexicon: Lexicon, space: ObjectSpace, objects: [Int]? = nil) -> Double {
        let ids = objects ?? Array(0..<space.count)
        guard space.attributes.count >= 2, let length = lexicon.messages.first?.count, length > 0 else { return 0 }
        var total = 0.0
        for position in 0..<length {
            let symbols = ids.map { lexicon.messages[$0][position] }
            total += gap(symbols, ids: ids, space: space)
        }
        return total / Double(length)
    }

    public static func bagOfSymbols(lexicon: Lexicon, space: ObjectSpace, vocabulary: Int, objects: [Int]? = nil) -> Double {
        let ids = objects ?? Array(0..<space.count)
        guard space.attributes.count >= 2 else { return 0 }
        let symbols = Array((lexicon.endOfMessage == nil ? 0 : 1)..<vocabulary)
        guard !symbols.isEmpty else { return 0 }
        var total = 0.0
        for symbol in symbols {
            let counts = ids.map { id in lexicon.trimmed(id).filter { $0 == symbol }.count }
            total += gap(counts, ids: ids, space: space)
        }
        return total / Double(symbols.count)
    }

    private static func gap(_ feature: [Int], ids: [Int], space: ObjectSpace) -> Double {
        let h = Information.entropy(feature)
        guard h > 0 else { return 0 }
        var informations = (0..<space.attributes.count).map { attribute in
            Information.mutualInformation(ids.map { space.value(of: $0, attribute: attribute) }, feature)
        }
        informations.sort(by: >)
        return (informations[0] - informations[1]) / h
    }
}
