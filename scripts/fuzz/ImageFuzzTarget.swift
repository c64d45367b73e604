import Foundation

// libFuzzer's entry point for scripts/fuzz-images: each input is one file as a
// data set or a weights file holds it, taken through the loader that reads it.
// The first byte picks the parser: an IDX file (1 to 3 dimensions), a CIFAR-10
// batch, an image in a one-class folder (PNG or JPEG, grey or RGB), or a visual
// encoder weights file. Any input must load or be refused with one line naming
// the file; a trap, an allocation past the limits or a hang is a finding.

nonisolated(unsafe) private var scratch: String = {
    let directory = "/dev/shm/koine-fuzz-images-\(getpid())"
    try? FileManager.default.createDirectory(atPath: directory + "/folder/class", withIntermediateDirectories: true)
    return directory
}()

private func refused(_ error: ImageDatasetError, _ path: String) {
    precondition(!error.description.contains("\n"), "a refusal of more than one line: \(error)")
    precondition(error.description.contains(path), "a refusal that does not name the file: \(error)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let choice = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch choice % 4 {
    case 0:
        let path = scratch + "/data.idx"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        do {
            let file = try IDXFile(path: path, dimensions: 1 + Int(choice / 4) % 3, expected: "an IDX file", limit: 1 << 22)
            precondition(file.bytes.count == file.offset + file.shape.reduce(1, *), "an IDX file of the wrong length was accepted")
        } catch { refused(error, path) }
    case 1:
        let path = scratch + "/data_batch.bin"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        do {
            let set = try CIFAR10.batches([path])
            precondition(set.labels.allSatisfy { $0 < 10 }, "a label out of range was accepted")
        } catch { refused(error, path) }
    case 2:
        let path = scratch + "/folder/class/image.png"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        do {
            let set = try ImageFolder.load(root: scratch + "/folder", channels: choice & 4 == 0 ? 1 : 3)
            precondition(set.height * set.width <= DatasetLimits.imagePixels, "an image past the pixel limit was decoded")
        } catch { refused(error, path) }
    default:
        do {
            let file = try VisualEncoderFile.decode(bytes, path: "weights")
            precondition((file.parameters + file.statistics).allSatisfy(\.isFinite), "non-finite weights were accepted")
        } catch let error as VisualEncoderFileError {
            precondition(!error.description.contains("\n"), "a refusal of more than one line: \(error)")
        } catch {
            preconditionFailure("not a VisualEncoderFileError: \(error)")
        }
    }
    return 0
}
