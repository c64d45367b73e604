import Foundation

/// Facts about this host that decide how `koine launch` starts ranks.
public enum HostResources {
    /// Physical cores, which is what Open MPI counts as slots by default (not
    /// hardware threads): counted from the (package, core) pairs in sysfs, or
    /// the online processors when sysfs is not there.
    public static func physicalCores() -> Int {
        let root = "/sys/devices/system/cpu"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else {
            return ProcessInfo.processInfo.activeProcessorCount
        }
        var cores = Set<String>()
        for entry in entries where entry.hasPrefix("cpu") && entry.dropFirst(3).allSatisfy(\.isNumber) && entry.count > 3 {
            let topology = "\(root)/\(entry)/topology"
            guard let package = read("\(topology)/physical_package_id"), let core = read("\(topology)/core_id") else { continue }
            if let online = read("\(root)/\(entry)/online"), online == "0" { continue }
            cores.insert("\(package):\(core)")
        }
        return cores.isEmpty ? ProcessInfo.processInfo.activeProcessorCount : cores.count
    }

    /// Whether this process runs as root, which Open MPI refuses without its allowances.
    public static var isRunningAsRoot: Bool { getuid() == 0 }

    /// The path of the running executable, so ranks run the very same `koine`.
    public static func currentExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        let first = CommandLine.arguments.first ?? "koine"
        if first.contains("/") { return URL(fileURLWithPath: first).standardizedFileURL.path }
        return findExecutable(first) ?? first
    }

    /// The first executable called `name` on `PATH`, or `name` itself when it is a path.
    public static func findExecutable(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (path ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    private static func read(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
