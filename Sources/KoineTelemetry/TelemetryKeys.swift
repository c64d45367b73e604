import CZMQ
import Foundation

/// ZeroMQ CURVE keys, which authenticate and encrypt telemetry: a collector holding a
/// secret key accepts only senders that know its public key, and what they send is
/// encrypted on the wire. Keys are Z85 text, 40 characters, as ZeroMQ writes them.
public enum TelemetryKeys {
    /// The collector's public key, for every rank's publisher (and `koine launch`).
    public static let serverKeyVariable = "KOINE_TELEMETRY_SERVER_KEY"
    /// The collector's secret key, for `koine collect` (instead of `--secret-key FILE`).
    public static let serverSecretVariable = "KOINE_TELEMETRY_SERVER_SECRET"

    /// Whether this process's libzmq was built with CURVE (libsodium or its own tweetnacl).
    public static var isAvailable: Bool { zmq_has("curve") != 0 }

    /// A new key pair.
    public static func makePair() throws -> (publicKey: String, secretKey: String) {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZeroMQError("zmq_curve_keypair") }
        return (String(cString: publicKey), String(cString: secretKey))
    }

    /// The public key that goes with `secretKey`.
    public static func publicKey(secretKey: String) throws -> String {
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { throw ZeroMQError("zmq_curve_public") }
        return String(cString: publicKey)
    }

    /// What is wrong with `key` as a Z85 CURVE key, or nil.
    public static func problem(with key: String) -> String? {
        var decoded = [UInt8](repeating: 0, count: 32)
        guard key.utf8.count == 40, zmq_z85_decode(&decoded, key) != nil else {
            return "expected a 40-character Z85 CURVE key (koine keys makes a pair)"
        }
        return nil
    }

    /// Reads the key in `file` (as `koine keys` writes it: the key and a newline).
    public static func read(file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw TelemetryError.invalidKey(file, "cannot read the file")
        }
        let key = String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = problem(with: key) { throw TelemetryError.invalidKey(file, problem) }
        return key
    }

    /// Writes `key` to `file`, readable and writable by its owner alone; never overwrites.
    public static func write(_ key: String, to file: String) throws {
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw TelemetryError.invalidKey(file, String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let text = Array((key + "\n").utf8)
        guard Foundation.write(descriptor, text, text.count) == text.count else {
            throw TelemetryError.invalidKey(file, String(cString: strerror(errno)))
        }
    }

    /// Sets a Z85 key option on `socket`.
    package static func set(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ key: String) throws {
        guard zmq_setsockopt(socket, option, key, key.utf8.count) == 0 else { throw ZeroMQError("zmq_setsockopt(\(option))") }
    }
}
