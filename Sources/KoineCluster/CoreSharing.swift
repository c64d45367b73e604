import Foundation

/// Finds ranks pinned to the same cores of one machine, and unpins them.
///
/// A launcher that binds each rank to "its" core counts cores per host; when
/// hosts share a machine (containers, hosts in network namespaces, an
/// oversubscribed node), every host's first rank lands on the same physical
/// core and the ranks take turns on it: 62 steps/s instead of 2,280 on 2 cores
/// (the issue's measurement, before this check).
/// Ranks of one machine are told apart from ranks of separate machines by the
/// kernel's boot id, which containers and namespaces share with their host.
public enum CoreSharing {
    /// This rank's machine (the kernel's boot id, else the host name) and the
    /// cores it may run on.
    public struct Placement: Equatable {
        public var machine: String
        public var cores: Set<Int>
        /// Every core the machine has online.
        public var online: Set<Int>

        public init(machine: String, cores: Set<Int>, online: Set<Int>) {
            self.machine = machine
            self.cores = cores
            self.online = online
        }

        /// Read from this process (`/proc`).
        public static func current() -> Placement {
            let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let allowed = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
                .map { String($0.dropFirst("Cpus_allowed_list:".count)) }
            let online = (try? String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8))
                .flatMap(CoreSharing.cores(list:)) ?? Set(0..<ProcessInfo.processInfo.activeProcessorCount)
            return Placement(machine: boot.flatMap { $0.isEmpty ? nil : $0 } ?? HostName.full,
                             cores: allowed.flatMap(CoreSharing.cores(list:)) ?? online, online: online)
        }

        var encoded: String {
            [machine, cores.sorted().map(String.init).joined(separator: ","),
             online.sorted().map(String.init).joined(separator: ",")].joined(separator: " ")
        }

        init?(encoded: String) {
            let parts = encoded.split(separator: " ")
            guard parts.count == 3 else { return nil }
            machine = String(parts[0])
            cores = Set(parts[1].split(separator: ",").compactMap { Int($0) })
            online = Set(parts[2].split(separator: ",").compactMap { Int($0) })
        }
    }

    /// Ranks (by index) that share a machine and a core with another rank
    /// while pinned to fewer cores than the machine has: the trap, not ranks
    /// that merely run unpinned side by side.
    public static func crowded(_ placements: [Placement]) -> [Int] {
        var crowded: [Int] = []
        for (i, placement) in placements.enumerated() where placement.cores.count < placement.online.count {
            let overlaps = placements.indices.contains { j in
                j != i && placements[j].machine == placement.machine && !placements[j].cores.isDisjoint(with: placement.cores)
            }
            if overlaps { crowded.append(i) }
        }
        return crowded
    }

    /// Gathers every rank's placement; a rank pinned onto cores another rank of
    /// its machine is pinned to is unpinned (the calling thread may then run on
    /// any online core). Returns a warning for rank 0 to print, or nil. A
    /// collective: every rank calls it.
    public static func unpinCrowdedRanks(_ communicator: Communicator, hosts: [String]) throws -> String? {
        guard communicator.size > 1 else { return nil }
        let mine = Placement.current()
        let placements = try communicator.gatherStrings(mine.encoded).map(Placement.init(encoded:))
        guard placements.allSatisfy({ $0 != nil }) else { return nil }
        let crowded = crowded(placements.map { $0! })
        guard !crowded.isEmpty else { return nil }
        if crowded.contains(communicator.rank) { allowEveryCore(mine.online) }
        let described = crowded.prefix(4).map { rank in
            let cores = placements[rank]!.cores.sorted().map(String.init).joined(separator: ",")
            return "rank \(rank) on \(rank < hosts.count ? hosts[rank] : "?") (core \(cores))"
        }.joined(separator: ", ")
        return "ranks pinned to the same cores of one machine: \(described)\(crowded.count > 4 ? ", ..." : ""); "
            + "they would take turns on one core, so they were unpinned; launch with --bind-to none on hosts that share cores"
    }

    /// Lets the calling thread run on every core in `online`.
    static func allowEveryCore(_ online: Set<Int>) {
        #if os(Linux)
        var set = cpu_set_t()
        withUnsafeMutableBytes(of: &set) { bytes in
            for core in online where core / 8 < bytes.count {
                bytes[core / 8] |= UInt8(1 << (core % 8))
            }
        }
        // Glibc declares sched_setaffinity only under _GNU_SOURCE, which Swift's
        // Glibc module does not set; the symbol itself is always there.
        typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_setaffinity") else { return }
        let setAffinity = unsafeBitCast(symbol, to: SetAffinity.self)
        _ = withUnsafeBytes(of: &set) { setAffinity(0, MemoryLayout<cpu_set_t>.size, $0.baseAddress!) }
        #endif
    }

    /// The cores of a kernel CPU list such as "0-3,8,10-11"; nil when malformed.
    public static func cores(list: String) -> Set<Int>? {
        var cores = Set<Int>()
        for part in list.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !bounds.isEmpty, bounds.count <= 2, bounds.allSatisfy({ $0 != nil }),
                  let low = bounds.first!, let high = bounds.last!, low <= high, high < 65536 else { return nil }
            cores.formUnion(low...high)
        }
        return cores.isEmpty ? nil : cores
    }
}
