import KoineGame

/// What the object a listener chose can have in common with the target,
/// trait by trait, so a probe shows which part of a message carries what:
/// the attribute values of the attribute (and reconstruction) game's
/// objects, the class of the image game's pictures. Taken once from what the
/// game's objects have, so the probe itself is the same for every game.
public struct TargetTraits {
    /// The JSON key of the shares (`attribute_accuracy`, `class_accuracy`).
    public let key: String
    /// The table's heading of each trait.
    public let columns: [String]
    /// An object's value of every trait.
    let values: (Int) -> [Int]?

    /// Attributes when the game's objects have them, else their class; nil
    /// when they have neither.
    init?(game: ReferentialGame) {
        if let attributes = game.attributes(of: 0) {
            key = "attribute_accuracy"
            columns = attributes.indices.map { "attribute \($0)" }
            values = { game.attributes(of: $0) }
        } else if game.classLabel(of: 0) != nil {
            key = "class_accuracy"
            columns = ["class"]
            values = { game.classLabel(of: $0).map { [$0] } }
        } else {
            return nil
        }
    }

    /// Per trait, the share of `played`'s games whose chosen object has the target's value.
    func shares(_ played: PlayedGames) -> [Double] {
        var matches = [Double](repeating: 0, count: columns.count)
        for (target, chosen) in zip(played.targets, played.chosen) {
            guard let a = values(target), let b = values(chosen) else { continue }
            for i in columns.indices where a[i] == b[i] { matches[i] += 1 }
        }
        return matches.map { $0 / Double(max(played.targets.count, 1)) }
    }
}
