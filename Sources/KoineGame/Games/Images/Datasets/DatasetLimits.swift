import Foundation

/// Bounds on what an image data set may make the process allocate, checked on
/// headers and sizes before anything that large is allocated or inflated: one
/// file's bytes (after gunzip), one image's pixels, and every image of a set
/// as Float32 against the memory the process may use. Products are computed
/// with overflow checks (the module is built with -Ounchecked, where `*` wraps).
public enum DatasetLimits {
    /// Bytes of one data file once gunzipped: CIFAR-10's batches are 30 MB,
    /// Fashion-MNIST's training images 47 MB.
    public static let fileBytes = 1 << 30
    /// Bytes of one PNG or JPEG file.
    public static let imageFileBytes = 64 << 20
    /// Pixels of one image (height × width): 4096 × 4096.
    public static let imagePixels = 1 << 24

    /// `factors` multiplied, nil when the product overflows or any factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var total = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (value, overflow) = total.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            total = value
        }
        return total
    }

    /// Throws, naming `path`, when `count` images of channels × height × width
    /// Float32 values do not fit in the memory this process may use.
    static func checkSet(count: Int, channels: Int, height: Int, width: Int, path: String) throws(ImageDatasetError) {
        let shape = "\(count) images of \(channels)×\(height)×\(width)"
        guard let bytes = product([count, channels, height, width, MemoryLimit.floatBytes]) else {
            throw .malformed(path: path, expected: "a data set that fits in memory", found: "\(shape), a size that overflows")
        }
        let available = MemoryLimit.available
        guard Double(bytes) <= available else {
            throw .malformed(path: path, expected: "a data set that fits in \(MemoryLimit.format(available)) of memory",
                             found: "\(shape), \(MemoryLimit.format(Double(bytes))) as 32-bit floats")
        }
    }
}

/// The memory this process may use: the machine's physical memory, or the
/// control group's limit when one is lower (a container, a Slurm job).
public enum MemoryLimit {
    static let floatBytes = 4

    /// Bytes, the smaller of physical memory and the cgroup limit (v2 `memory.max`, or v1 `memory.limit_in_bytes`).
    public static var available: Double {
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        guard let limit = cgroupLimit else { return physical }
        return min(physical, limit)
    }

    /// The cgroup's memory limit, nil when there is none.
    public static var cgroupLimit: Double? {
        cgroupLimit(membership: (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? "") {
            try? String(contentsOfFile: $0, encoding: .utf8)
        }
    }

    /// The lowest memory limit of this process's cgroup and its ancestors, from
    /// `membership` (the text of /proc/self/cgroup) and the files `read` returns:
    /// v2's `memory.max` under /sys/fs/cgroup (or its `unified` mount), v1's
    /// `memory.limit_in_bytes` under /sys/fs/cgroup/memory. "max" and v1's huge
    /// page-aligned number mean no limit.
    static func cgroupLimit(membership: String, read: (String) -> String?) -> Double? {
        var files: [String] = []
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            var path = String(fields[2])
            // The group and each ancestor up to the root: a parent's limit holds too.
            while true {
                let suffix = path == "/" ? "" : path
                if fields[0] == "0" && fields[1].isEmpty {
                    files += ["/sys/fs/cgroup\(suffix)/memory.max", "/sys/fs/cgroup/unified\(suffix)/memory.max"]
                } else if fields[1].split(separator: ",").contains("memory") {
                    files.append("/sys/fs/cgroup/memory\(suffix)/memory.limit_in_bytes")
                }
                guard path != "/", !path.isEmpty, let slash = path.lastIndex(of: "/") else { break }
                path = slash == path.startIndex ? "/" : String(path[..<slash])
            }
        }
        files += ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        let limits = files.compactMap { file -> Double? in
            guard let text = read(file), let bytes = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  bytes.isFinite, bytes > 0, bytes < 1e18 else { return nil }
            return bytes
        }
        return limits.min()
    }

    /// 1.5 GiB, 360 GiB: bytes for a message.
    public static func format(_ bytes: Double) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int(value)) bytes" }
        return String(format: value < 10 ? "%.1f" : value < 10_000 ? "%.0f" : "%.3g", value) + " " + units[unit]
    }
}
