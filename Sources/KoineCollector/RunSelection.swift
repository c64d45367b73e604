/// Which stored runs `--run NAME` means: the run with that id, or else those
/// whose id is NAME and a suffix (a trainer's run id is its directory's name,
/// `-` and a random suffix, so the directory's name selects its run).
enum RunSelection {
    static func pick(_ names: [String], _ run: String?) -> [String] {
        guard let run else { return names }
        if names.contains(run) { return [run] }
        return names.filter { $0.hasPrefix(run + "-") }
    }
}
