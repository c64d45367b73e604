import KoineTensor

extension Configuration {
    /// Keys a resumed run may change: its length, and where telemetry goes
    /// (a collector may have moved while the job waited in the queue).
    public static let resumableKeys: Set<String> = ["train.steps", "telemetry.endpoint"]

    /// Every key with its value as text, in the order of `keys`.
    public var settings: [(key: String, value: String)] {
        Configuration.keys.map { ($0.path, $0.get(self).text) }
    }

    /// A hash of every setting that shapes training (all but `resumableKeys`):
    /// two configurations with the same identity give the same run.
    public var identity: UInt64 {
        var text = ""
        for (index, (key, value)) in settings.enumerated() where !Configuration.resumableKeys.contains(key) {
            let declared = Configuration.keys[index]
            if declared.addedLater && declared.defaultValue.text == value { continue }
            text += "\(key)=\(value)\n"
        }
        return Array(text.utf8).withUnsafeBytes { Checksum.fnv1a($0) }
    }

    /// The settings that shape training and differ from `other`'s, as
    /// `key: mine vs theirs`, in key order.
    public func differences(from other: Configuration) -> [(key: String, mine: String, theirs: String)] {
        zip(settings, other.settings).compactMap { mine, theirs in
            guard !Configuration.resumableKeys.contains(mine.key), mine.value != theirs.value else { return nil }
            return (mine.key, mine.value, theirs.value)
        }
    }
}
