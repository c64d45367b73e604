import Foundation

/// One TensorBoard event file (`events.out.tfevents.*`): TFRecord-framed
/// protobuf `Event` records — a length, its masked CRC-32C, the record, the
/// record's masked CRC-32C — starting with the file-version record. Records
/// are written through, so `tensorboard --logdir` shows a live run.
final class TensorBoardEventFile {
    let path: String
    private let handle: FileHandle
    private var pending: [UInt8] = []

    /// Creates `directory` and a new event file in it.
    init(directory: String, time: Double) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        path = "\(directory)/events.out.tfevents.\(Int(time)).\(host).koine"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        self.handle = handle
        record(time: time, step: 0) { $0.string(3, "brain.Event:2") }
        try flush()
    }

    deinit { try? handle.close() }

    /// A scalar: `Summary.Value { tag, simple_value }`.
    func scalar(_ tag: String, step: Int, value: Double, time: Double) {
        record(time: time, step: step) { event in
            event.message(5) { summary in
                summary.message(1) { entry in
                    entry.string(1, tag)
                    entry.float(2, Float(value))
                }
            }
        }
    }

    /// Text for TensorBoard's text plugin: a string tensor with the plugin's metadata.
    func text(_ tag: String, step: Int, text: String, time: Double) {
        record(time: time, step: step) { event in
            event.message(5) { summary in
                summary.message(1) { entry in
                    entry.string(1, tag)
                    entry.message(9) { metadata in metadata.message(1) { plugin in plugin.string(1, "text") } }
                    entry.message(8) { tensor in
                        tensor.integer(1, 7)  // DT_STRING
                        tensor.message(2) { _ in }  // a scalar's shape
                        tensor.string(8, text)
                    }
                }
            }
        }
    }

    /// Writes what was recorded since the last flush; throws what the file
    /// system says (a full disk), where `FileHandle.write(_:)` would trap.
    func flush() throws {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        try handle.write(contentsOf: pending)
    }

    private func record(time: Double, step: Int, _ fields: (inout ProtobufWriter) -> Void) {
        var event = ProtobufWriter()
        event.double(1, time)
        event.integer(2, Int64(step))
        fields(&event)
        let payload = event.bytes
        var length = UInt64(payload.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Array($0) }
        pending += lengthBytes
        append(CRC32C.masked(lengthBytes))
        pending += payload
        append(CRC32C.masked(payload))
    }

    private func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { pending.append(contentsOf: $0) }
    }
}
