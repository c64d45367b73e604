/// The seeds of a sweep, written as ranges and single seeds: `1-10`, `1,3,5`, `1-3,7`.
public enum SeedList {
    /// Seeds one sweep may name: far more than any study runs, few enough
    /// that a typo such as `1-10000000` is refused at once, before any list is built.
    public static let limit = 100_000

    public static func parse(_ text: String) throws -> [Int] {
        var seeds: [Int] = []
        var seen = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let first = Int(bounds[0]), let last = Int(bounds[bounds.count - 1]),
                  first >= 0, first <= last
            else {
                throw StudyError("--seeds: \"\(part)\" in \"\(text)\" is not a seed or a range FIRST-LAST of seeds ≥ 0 (e.g. --seeds 1-10 or 1,3,5)")
            }
            // last − first cannot overflow: both are ≥ 0.
            guard last - first < limit - seen.count else {
                throw StudyError("--seeds: \"\(part)\" in \"\(text)\" names more than \(limit) seeds; at most \(limit) in one sweep")
            }
            for seed in first...last where seen.insert(seed).inserted { seeds.append(seed) }
        }
        return seeds
    }
}
