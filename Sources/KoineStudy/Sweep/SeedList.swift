/// The seeds of a sweep, written as ranges and single seeds: `1-10`, `1,3,5`, `1-3,7`.
public enum SeedList {
    public static func parse(_ text: String) throws -> [Int] {
        var seeds: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let first = Int(bounds[0]), let last = Int(bounds[bounds.count - 1]),
                  first >= 0, first <= last
            else {
                throw StudyError("--seeds: \"\(part)\" in \"\(text)\" is not a seed or a range FIRST-LAST of seeds ≥ 0 (e.g. --seeds 1-10 or 1,3,5)")
            }
            for seed in first...last where !seeds.contains(seed) { seeds.append(seed) }
        }
        return seeds
    }
}
