import Foundation
import KoineTrainer

/// The configuration reader's contract under fuzzing: any text (and any
/// `--set` override, when the input's first line is one) gives a
/// `Configuration` or a one-line `ConfigurationError`, never a trap or
/// another error. `scripts/fuzz-config` builds this with libFuzzer; built
/// plainly it replays the files it is given.
func readConfiguration(_ bytes: UnsafeRawBufferPointer) {
    var text = String(decoding: bytes, as: UTF8.self)
    var overrides: [String] = []
    if text.hasPrefix("--set "), let end = text.firstIndex(of: "\n") {
        overrides = [String(text[text.index(text.startIndex, offsetBy: 6)..<end])]
        text = String(text[text.index(after: end)...])
    }
    do {
        _ = try Configuration.parse(text, source: "fuzz.yaml", overrides: overrides)
    } catch let error as ConfigurationError {
        precondition(!error.message.contains("\n"), "a message of several lines: \(error.message)")
    } catch {
        preconditionFailure("not a ConfigurationError: \(error)")
    }
}

#if KOINE_FUZZ
/// libFuzzer's driver (SwiftPM names an executable's entry point itself, so
/// libFuzzer's own `main` cannot be the program's).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif

@main
enum FuzzConfigReader {
    static func main() throws {
#if KOINE_FUZZ
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv) { data, size in
            readConfiguration(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        })
#else
        // Replays the files given (findings kept as regressions).
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { readConfiguration($0) }
        }
#endif
    }
}
